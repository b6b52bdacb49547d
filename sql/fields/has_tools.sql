-- Whether the request used tools: a response whose choices carry tool_calls, or an MCP tool call
-- (mcp_namespaced_tool_name, added Jul 2025; an empty or blank name is no tool call).
(COALESCE(l.response @? '$.choices[*].message.tool_calls[*]', false)
    OR NULLIF(btrim(l.mcp_namespaced_tool_name), '') IS NOT NULL)
