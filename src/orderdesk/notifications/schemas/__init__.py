"""Wire models of the notification API: `v1` (the legacy order endpoints and delivery reports) and
`future` (the current generation under `/future`), sharing the field formats of `fields`."""
