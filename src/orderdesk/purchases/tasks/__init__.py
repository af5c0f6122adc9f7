"""The workers of purchase orders: fulfilment processing, callbacks, and their loops."""
