-- GET /health: the cheapest round trip through a pooled connection.
SELECT 1
