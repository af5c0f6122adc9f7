"""The contact register: stand-in for the national contact register and organisations' addresses."""
