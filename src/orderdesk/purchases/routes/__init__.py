"""HTTP endpoints of purchase orders: the OAuth2 token endpoint and `/capi/v1`."""
