"""Purchase orders: the client-mode order API of Connect/ConnectID under `/capi/v1`."""
