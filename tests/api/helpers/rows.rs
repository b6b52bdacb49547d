//! Fixture rows shaped like the ones a LiteLLM proxy writes.

use chrono::{Duration, NaiveDateTime};
use serde_json::{json, Map, Value};

/// Where a row carries its agent fields — the places real LiteLLM (and some forks) keep them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// `metadata.spend_logs_metadata` (the caller nested them there).
    SpendLogsMetadata,
    /// The stored request body as LiteLLM keeps it with prompts on: plain keys in
    /// `proxy_server_request.metadata` plus the `requester_metadata` copy.
    RequestBody,
    /// Plain keys in the body's metadata only.
    RequestBodyPlainOnly,
    /// Only LiteLLM's `requester_metadata` copy inside the body.
    RequesterCopyOnly,
    /// Top-level keys of the `metadata` column (forks; real LiteLLM drops them).
    MetadataTopLevel,
}

/// The agent fields a caller sends.
#[derive(Debug, Clone, Default)]
pub struct Agent {
    pub name: Option<String>,
    pub version: Option<String>,
    pub user: Option<String>,
    pub session: Option<String>,
    pub app: Option<String>,
}

impl Agent {
    pub fn new(name: &str, version: &str) -> Agent {
        Agent {
            name: Some(name.to_string()),
            version: Some(version.to_string()),
            app: Some("helpdesk".to_string()),
            ..Agent::default()
        }
    }

    pub fn session(mut self, session: &str) -> Agent {
        self.session = Some(session.to_string());
        self
    }

    pub fn user(mut self, user: &str) -> Agent {
        self.user = Some(user.to_string());
        self
    }

    fn fields(&self) -> Map<String, Value> {
        let mut map = Map::new();
        for (key, value) in [
            ("agent_name", &self.name),
            ("agent_version", &self.version),
            ("agent_user_id", &self.user),
            ("agent_session_id", &self.session),
            ("agent_app_name", &self.app),
        ] {
            if let Some(v) = value {
                map.insert(key.to_string(), json!(v));
            }
        }
        map
    }
}

/// One "LiteLLM_SpendLogs" row.
#[derive(Debug, Clone)]
pub struct Row {
    pub request_id: String,
    pub start: NaiveDateTime,
    pub end: NaiveDateTime,
    pub model: String,
    pub prompt_tokens: i32,
    pub completion_tokens: i32,
    pub spend: f64,
    pub status: &'static str,
    pub metadata: Value,
    pub proxy_server_request: Value,
    pub response: Value,
    pub request_duration_ms: Option<i32>,
    pub completion_start: Option<NaiveDateTime>,
    pub cache_hit: bool,
    pub mcp_tool: Option<String>,
    pub team_id: Option<String>,
    pub litellm_session: Option<String>,
}

impl Row {
    /// A successful request at `start` lasting one second, no agent fields, no stored content.
    pub fn new(request_id: &str, start: NaiveDateTime) -> Row {
        Row {
            request_id: request_id.to_string(),
            start,
            end: start + Duration::seconds(1),
            model: "gpt-4o".to_string(),
            prompt_tokens: 0,
            completion_tokens: 0,
            spend: 0.0,
            status: "success",
            metadata: json!({
                "user_api_key": "88dc28d0f030c55ed4ab77ed8faf098196cb1c05df778539800c9f1243fe6b4b",
                "user_api_key_alias": "agents-prod",
                "user_api_key_team_id": "team-agents",
                "user_api_key_user_id": "default_user_id",
                "requester_ip_address": "10.0.3.7",
                "status": "success",
                "usage_object": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
                "model_map_information": {"model_map_key": "gpt-4o", "model_map_value": {"input_cost_per_token": 2.5e-6}}
            }),
            proxy_server_request: json!({}),
            response: json!({}),
            request_duration_ms: None,
            completion_start: None,
            cache_hit: false,
            mcp_tool: None,
            team_id: None,
            litellm_session: None,
        }
    }

    pub fn spend(mut self, usd: f64) -> Row {
        self.spend = usd;
        self
    }

    /// LiteLLM's request_duration_ms column (preferred over endTime − startTime where set).
    pub fn request_duration_ms(mut self, ms: i32) -> Row {
        self.request_duration_ms = Some(ms);
        self
    }

    /// completionStartTime, `ms` after startTime.
    pub fn first_token_after_ms(mut self, ms: i64) -> Row {
        self.completion_start = Some(self.start + Duration::milliseconds(ms));
        self
    }

    /// completionStartTime equal to endTime, as LiteLLM records unstreamed calls.
    pub fn unstreamed(mut self) -> Row {
        self.completion_start = Some(self.end);
        self
    }

    pub fn cache_hit(mut self) -> Row {
        self.cache_hit = true;
        self
    }

    pub fn cached_tokens(mut self, n: i64) -> Row {
        self.metadata["usage_object"]["prompt_tokens_details"] = json!({"cached_tokens": n});
        self
    }

    pub fn mcp_tool(mut self, name: &str) -> Row {
        self.mcp_tool = Some(name.to_string());
        self
    }

    pub fn team(mut self, team_id: &str, key_alias: &str) -> Row {
        self.team_id = Some(team_id.to_string());
        self.metadata["user_api_key_alias"] = json!(key_alias);
        self
    }

    /// LiteLLM's own session_id column (clients sending litellm_session_id).
    pub fn litellm_session(mut self, id: &str) -> Row {
        self.litellm_session = Some(id.to_string());
        self
    }

    /// Puts the agent fields where `place` says.
    pub fn agent(mut self, place: Place, agent: Agent) -> Row {
        let fields = agent.fields();
        match place {
            Place::SpendLogsMetadata => {
                self.metadata["spend_logs_metadata"] = Value::Object(fields);
            }
            Place::RequestBody => {
                let mut metadata = fields.clone();
                metadata.insert("requester_metadata".into(), Value::Object(fields));
                self.body_metadata(metadata);
            }
            Place::RequestBodyPlainOnly => self.body_metadata(fields),
            Place::RequesterCopyOnly => {
                let mut metadata = Map::new();
                metadata.insert("requester_metadata".into(), Value::Object(fields));
                self.body_metadata(metadata);
            }
            Place::MetadataTopLevel => {
                for (k, v) in fields {
                    self.metadata[k.as_str()] = v;
                }
            }
        }
        self
    }

    /// The stored request body (prompts on), with `metadata` merged into its metadata.
    fn body_metadata(&mut self, metadata: Map<String, Value>) {
        if self.proxy_server_request.get("messages").is_none() {
            self.proxy_server_request = json!({
                "model": self.model,
                "messages": [{"role": "user", "content": "Where is my order?"}],
                "metadata": {}
            });
        }
        for (k, v) in metadata {
            self.proxy_server_request["metadata"][k.as_str()] = v;
        }
    }

    /// Sets `metadata.spend_logs_metadata` to an arbitrary value (for odd shapes).
    pub fn spend_logs_metadata(mut self, value: Value) -> Row {
        self.metadata["spend_logs_metadata"] = value;
        self
    }

    pub fn tokens(mut self, prompt: i32, completion: i32) -> Row {
        self.prompt_tokens = prompt;
        self.completion_tokens = completion;
        self.metadata["usage_object"] = json!({
            "prompt_tokens": prompt, "completion_tokens": completion,
            "total_tokens": prompt + completion
        });
        self
    }

    pub fn duration_ms(mut self, ms: i64) -> Row {
        self.end = self.start + Duration::milliseconds(ms);
        self
    }

    pub fn model(mut self, model: &str) -> Row {
        self.model = model.to_string();
        self
    }

    /// A chat-completion response with assistant text; response.model = `response_model`.
    pub fn reply_from(mut self, response_model: Option<&str>, content: &str) -> Row {
        let mut response = json!({
            "id": format!("chatcmpl-{}", self.request_id),
            "object": "chat.completion",
            "created": self.start.and_utc().timestamp(),
            "choices": [{
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": content}
            }],
            "usage": {
                "prompt_tokens": self.prompt_tokens,
                "completion_tokens": self.completion_tokens,
                "total_tokens": self.prompt_tokens + self.completion_tokens
            }
        });
        if let Some(model) = response_model {
            response["model"] = json!(model);
        }
        self.response = response;
        self
    }

    /// A reply whose response.model is the row's model.
    pub fn reply(self, content: &str) -> Row {
        let model = self.model.clone();
        self.reply_from(Some(&model), content)
    }

    /// A response with only a tool call: content null.
    pub fn tool_call_only(mut self) -> Row {
        self.response = json!({
            "id": format!("chatcmpl-{}", self.request_id),
            "model": self.model,
            "object": "chat.completion",
            "choices": [{
                "index": 0,
                "finish_reason": "tool_calls",
                "message": {"role": "assistant", "content": null, "tool_calls": [{
                    "id": "call_1", "type": "function",
                    "function": {"name": "lookup_order", "arguments": "{\"id\": 42}"}
                }]}
            }]
        });
        self
    }

    /// A failed request as LiteLLM logs it: status failure, response '{}', zero duration and spend.
    pub fn failed(mut self) -> Row {
        self.status = "failure";
        self.end = self.start;
        self.spend = 0.0;
        self.response = json!({});
        self.metadata["status"] = json!("failure");
        self.metadata["error_information"] = json!({
            "error_code": "429", "error_class": "RateLimitError", "llm_provider": "openai",
            "error_message": "Rate limit reached", "traceback": "Traceback (most recent call last): ..."
        });
        self
    }

    pub async fn insert(&self, client: &tokio_postgres::Client) {
        client
            .execute(
                r#"INSERT INTO "LiteLLM_SpendLogs" (
                    request_id, call_type, api_key, spend, total_tokens, prompt_tokens,
                    completion_tokens, "startTime", "endTime", model, model_group,
                    custom_llm_provider, "user", metadata, response, proxy_server_request,
                    status, session_id, request_tags, request_duration_ms,
                    "completionStartTime", cache_hit, mcp_namespaced_tool_name, team_id
                ) VALUES ($1, 'acompletion', '88dc28d0f030c55e', $2, $3, $4, $5, $6, $7, $8,
                          $8, 'openai', '', $9, $10, $11, $12, $13, '["User-Agent: OpenAI/Python 1.54.0"]',
                          $14, $15, $16, $17, $18)"#,
                &[
                    &self.request_id,
                    &self.spend,
                    &(self.prompt_tokens + self.completion_tokens),
                    &self.prompt_tokens,
                    &self.completion_tokens,
                    &self.start,
                    &self.end,
                    &self.model,
                    &self.metadata,
                    &self.response,
                    &self.proxy_server_request,
                    &self.status,
                    // LiteLLM's own session id: a random id per request when the client set none.
                    &self
                        .litellm_session
                        .clone()
                        .unwrap_or_else(|| format!("litellm-{}", self.request_id)),
                    &self.request_duration_ms,
                    &self.completion_start,
                    &(if self.cache_hit { "True" } else { "False" }),
                    &self.mcp_tool,
                    &self.team_id,
                ],
            )
            .await
            .unwrap_or_else(|e| panic!("insert {}: {e}", self.request_id));
    }
}
