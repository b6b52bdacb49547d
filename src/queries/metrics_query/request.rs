//! GET /metrics/query: any whitelisted metrics, grouped by whitelisted dimensions, filtered,
//! bucketed. The SQL is assembled only from the hand-written fragments of
//! sql/metrics_query_fragments.sql, chosen by name; every value is a parameter.

use crate::error::InvalidParam;

pub const FRAGMENTS: &str = include_str!("../../../sql/metrics_query_fragments.sql");
pub const TEMPLATE: &str = include_str!("../../../sql/metrics_query.sql");
pub const MAX_GROUP_BY: usize = 3;
pub const MAX_FILTER_VALUES: usize = 100;

/// The named expressions of the fragments file, by kind, in file order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Fragments {
    pub dimensions: Vec<(String, String)>,
    pub metrics: Vec<(String, String)>,
}

impl Fragments {
    /// Parses `-- dimension <name>` / `-- metric <name>` entries.
    pub fn parse(text: &str) -> Fragments {
        let mut fragments = Fragments::default();
        let mut current: Option<(bool, String, Vec<&str>)> = None;
        let finish = |entry: Option<(bool, String, Vec<&str>)>, f: &mut Fragments| {
            if let Some((is_metric, name, lines)) = entry {
                let expr = lines.join("\n").trim().to_string();
                if is_metric {
                    f.metrics.push((name, expr));
                } else {
                    f.dimensions.push((name, expr));
                }
            }
        };
        for line in text.lines() {
            let trimmed = line.trim();
            let header = trimmed
                .strip_prefix("-- dimension ")
                .map(|n| (false, n))
                .or_else(|| trimmed.strip_prefix("-- metric ").map(|n| (true, n)));
            if let Some((is_metric, name)) = header {
                finish(current.take(), &mut fragments);
                current = Some((is_metric, name.trim().to_string(), Vec::new()));
            } else if let Some((_, _, lines)) = current.as_mut() {
                if !trimmed.is_empty() && !trimmed.starts_with("--") {
                    lines.push(line);
                }
            }
        }
        finish(current.take(), &mut fragments);
        fragments
    }

    pub fn dimension_names(&self) -> Vec<&str> {
        self.dimensions.iter().map(|(n, _)| n.as_str()).collect()
    }

    pub fn metric_names(&self) -> Vec<&str> {
        self.metrics.iter().map(|(n, _)| n.as_str()).collect()
    }

    fn metric(&self, name: &str) -> Option<&str> {
        self.metrics
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, e)| e.as_str())
    }

    /// Applies `render` (the static placeholders) to every expression.
    pub fn rendered(&self, render: impl Fn(&str) -> String) -> Fragments {
        Fragments {
            dimensions: self
                .dimensions
                .iter()
                .map(|(n, e)| (n.clone(), render(e)))
                .collect(),
            metrics: self
                .metrics
                .iter()
                .map(|(n, e)| (n.clone(), render(e)))
                .collect(),
        }
    }
}

/// A validated metrics query (time and granularity are validated elsewhere).
#[derive(Debug, Clone, PartialEq)]
pub struct MetricsRequest {
    pub metrics: Vec<String>,
    pub group_by: Vec<String>,
    /// Per dimension, the values allowed (an in-list; one value is equality).
    pub filters: Vec<(String, Vec<String>)>,
    pub limit: i64,
}

/// The raw `metrics`, `group_by`, filter items (`dimension:value`, from `filters` and `filter`)
/// and `limit` values.
#[derive(Debug, Default, Clone)]
pub struct RawMetricsRequest<'a> {
    pub metrics: Option<&'a str>,
    pub group_by: Option<&'a str>,
    pub filters: Vec<String>,
    pub limit: Option<&'a str>,
}

/// The `dimension:value` items of a `filters` value, which is either a JSON object
/// (`{"model": ["gpt-4o", "gpt-4o-mini"], "status": "failure"}` — for values with commas) or a
/// comma list of `dimension:value` where `|` separates the values of an in-list
/// (`model:gpt-4o|gpt-4o-mini,status:failure`).
pub fn filter_items(text: &str) -> Result<Vec<String>, String> {
    let trimmed = text.trim();
    if !trimmed.starts_with('{') {
        let mut items = Vec::new();
        for item in trimmed.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            match item.split_once(':') {
                Some((dim, values)) => {
                    items.extend(values.split('|').map(|v| format!("{}:{v}", dim.trim())))
                }
                None => items.push(item.to_string()),
            }
        }
        return Ok(items);
    }
    const SHAPE: &str = "as JSON must be an object of dimension to a value or a list of values, \
                         e.g. {\"model\": [\"gpt-4o\", \"gpt-4o-mini\"]}";
    let object: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(trimmed).map_err(|e| format!("{SHAPE} ({e})"))?;
    let mut items = Vec::new();
    for (dim, value) in object {
        let values = match value {
            serde_json::Value::String(v) => vec![v],
            serde_json::Value::Array(list) => list
                .into_iter()
                .map(|v| match v {
                    serde_json::Value::String(v) => Ok(v),
                    _ => Err(SHAPE.to_string()),
                })
                .collect::<Result<_, _>>()?,
            _ => return Err(SHAPE.to_string()),
        };
        items.extend(values.into_iter().map(|v| format!("{dim}:{v}")));
    }
    Ok(items)
}

fn problem(name: &str, reason: String) -> InvalidParam {
    InvalidParam {
        name: name.to_string(),
        reason,
    }
}

impl MetricsRequest {
    pub fn parse(
        raw: &RawMetricsRequest<'_>,
        fragments: &Fragments,
    ) -> Result<MetricsRequest, Vec<InvalidParam>> {
        let mut problems = Vec::new();
        let allowed_metrics = fragments.metric_names().join(", ");
        let allowed_dims = fragments.dimension_names().join(", ");
        let list = |text: Option<&str>| -> Vec<String> {
            text.unwrap_or_default()
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        };
        let metrics = list(raw.metrics);
        if metrics.is_empty() {
            problems.push(problem(
                "metrics",
                format!("is required: a comma list of {allowed_metrics}"),
            ));
        }
        for m in &metrics {
            if fragments.metric(m).is_none() {
                problems.push(problem(
                    "metrics",
                    format!("unknown metric {m:?}; allowed: {allowed_metrics}"),
                ));
            }
        }
        // A repeat asks for nothing new (and a schema cannot forbid it): listed once.
        let metrics = without_repeats(metrics);
        let group_by = without_repeats(list(raw.group_by));
        for d in &group_by {
            if !fragments.dimension_names().contains(&d.as_str()) {
                problems.push(problem(
                    "group_by",
                    format!("unknown dimension {d:?}; allowed: {allowed_dims}"),
                ));
            }
        }
        if group_by.len() > MAX_GROUP_BY {
            problems.push(problem(
                "group_by",
                format!("at most {MAX_GROUP_BY} dimensions"),
            ));
        }
        let mut filters: Vec<(String, Vec<String>)> = Vec::new();
        for f in &raw.filters {
            let Some((dim, value)) = f.split_once(':') else {
                problems.push(problem(
                    "filters",
                    format!("{f:?} is not dimension:value (e.g. filters=model:gpt-4o|gpt-4o-mini,status:failure)"),
                ));
                continue;
            };
            let dim = dim.trim();
            if !fragments.dimension_names().contains(&dim) {
                problems.push(problem(
                    "filters",
                    format!("unknown dimension {dim:?}; allowed: {allowed_dims}"),
                ));
                continue;
            }
            if value.is_empty() || value.chars().count() > 256 || value.contains('\0') {
                problems.push(problem(
                    "filters",
                    format!("the value for {dim} must be 1 to 256 characters without NUL"),
                ));
                continue;
            }
            match filters.iter_mut().find(|(d, _)| d == dim) {
                Some((_, values)) => values.push(value.to_string()),
                None => filters.push((dim.to_string(), vec![value.to_string()])),
            }
        }
        if filters.iter().any(|(_, v)| v.len() > MAX_FILTER_VALUES) {
            problems.push(problem(
                "filters",
                format!("at most {MAX_FILTER_VALUES} values per dimension"),
            ));
        }
        let limit = match raw.limit {
            None => 100,
            Some(text) => match crate::params::parse_limit(text) {
                Ok(n) => i64::from(n),
                Err(reason) => {
                    problems.push(problem(
                        "limit",
                        reason.replace("omit it for 100", "omit it for 100 groups"),
                    ));
                    100
                }
            },
        };
        if problems.is_empty() {
            Ok(MetricsRequest {
                metrics,
                group_by,
                filters,
                limit,
            })
        } else {
            Err(problems)
        }
    }
}

/// `items` in their order, each once.
pub fn without_repeats(items: Vec<String>) -> Vec<String> {
    let mut seen = Vec::with_capacity(items.len());
    for item in items {
        if !seen.contains(&item) {
            seen.push(item);
        }
    }
    seen
}

/// The SQL for a request: the statically rendered template with the chosen fragments filled in.
/// Parameters: $1 start, $2 end, $3 boundaries, then one text[] per filter, then the limit.
pub fn build_sql(template: &str, fragments: &Fragments, request: &MetricsRequest) -> String {
    let column = |name: &str| format!("d_{name}");
    let dimension_columns = fragments
        .dimensions
        .iter()
        .map(|(name, expr)| format!("({expr}) AS {}", column(name)))
        .chain(std::iter::once("''::text AS d_all".to_string()))
        .collect::<Vec<_>>()
        .join(",\n        ");
    let groups: Vec<String> = if request.group_by.is_empty() {
        vec!["d_all".to_string()]
    } else {
        request.group_by.iter().map(|d| column(d)).collect()
    };
    let filter_conditions = if request.filters.is_empty() {
        "true".to_string()
    } else {
        request
            .filters
            .iter()
            .enumerate()
            .map(|(i, (dim, _))| format!("f.{} = ANY(${}::text[])", column(dim), i + 4))
            .collect::<Vec<_>>()
            .join(" AND ")
    };
    let metric = |name: &str| fragments.metric(name).unwrap_or("NULL::float8").to_string();
    let metric_columns = request
        .metrics
        .iter()
        .map(|m| format!("{} AS m_{m}", metric(m)))
        .collect::<Vec<_>>()
        .join(",\n    ");
    let of_f: Vec<String> = groups.iter().map(|g| format!("f.{g}")).collect();
    let join = groups
        .iter()
        .map(|g| format!("f.{g} IS NOT DISTINCT FROM r.{g}"))
        .collect::<Vec<_>>()
        .join(" AND ");
    template
        .replace("{{dimension_columns}}", &dimension_columns)
        .replace("{{filter_conditions}}", &filter_conditions)
        .replace("{{group_columns_of_f}}", &of_f.join(", "))
        .replace("{{group_columns}}", &groups.join(", "))
        .replace("{{rank_metric}}", &metric(&request.metrics[0]))
        .replace(
            "{{limit_param}}",
            &format!("${}", request.filters.len() + 4),
        )
        .replace("{{metric_columns}}", &metric_columns)
        .replace("{{group_join}}", &join)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fragments() -> Fragments {
        Fragments::parse(FRAGMENTS)
    }

    fn raw<'a>(
        metrics: &'a str,
        group_by: &'a str,
        filters: Vec<&'a str>,
    ) -> RawMetricsRequest<'a> {
        RawMetricsRequest {
            metrics: Some(metrics),
            group_by: Some(group_by),
            filters: filters.into_iter().map(str::to_string).collect(),
            limit: None,
        }
    }

    #[test]
    fn the_fragments_file_lists_every_documented_name() {
        let f = fragments();
        assert_eq!(
            f.dimension_names(),
            [
                "agent_name",
                "agent_version",
                "model",
                "user",
                "status",
                "app",
                "team_id",
                "api_key_alias"
            ]
        );
        assert_eq!(
            f.metric_names(),
            [
                "requests",
                "sessions",
                "users",
                "prompt_tokens",
                "completion_tokens",
                "total_tokens",
                "spend",
                "error_rate",
                "latency_p50",
                "latency_p95",
                "latency_p99",
                "ttft_p50"
            ]
        );
        assert!(f
            .metrics
            .iter()
            .all(|(_, e)| !e.is_empty() && !e.contains("--")));
    }

    #[test]
    fn unknown_names_are_refused_listing_the_allowed_ones() {
        let err = MetricsRequest::parse(
            &raw("requests,cost", "agent_name,planet", vec!["color:red"]),
            &fragments(),
        )
        .unwrap_err();
        let names: Vec<&str> = err.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["metrics", "group_by", "filters"]);
        assert!(err[0].reason.contains("requests, sessions, users"));
        assert!(err[1].reason.contains("agent_name, agent_version, model"));
    }

    #[test]
    fn filters_collect_values_per_dimension_and_never_enter_the_sql() {
        let request = MetricsRequest::parse(
            &raw(
                "spend,requests",
                "model",
                vec!["agent_name:o'brien; DROP TABLE x", "model:a", "model:b"],
            ),
            &fragments(),
        )
        .unwrap();
        assert_eq!(
            request.filters[1],
            ("model".to_string(), vec!["a".to_string(), "b".to_string()])
        );
        let sql = build_sql(TEMPLATE, &fragments(), &request);
        assert!(!sql.contains("o'brien"));
        assert!(sql.contains("f.d_agent_name = ANY($4::text[]) AND f.d_model = ANY($5::text[])"));
        assert!(sql.contains("LIMIT $6"));
        assert!(!sql.contains("{{dimension_columns}}") && !sql.contains("{{metric_columns}}"));
    }

    #[test]
    fn filters_are_a_comma_list_with_in_lists_or_a_json_object() {
        assert_eq!(
            filter_items("model:gpt-4o|gpt-4o-mini, status:failure").unwrap(),
            ["model:gpt-4o", "model:gpt-4o-mini", "status:failure"]
        );
        assert_eq!(
            filter_items(r#"{"model": ["a,b", "c"], "user": "u:1"}"#).unwrap(),
            ["model:a,b", "model:c", "user:u:1"]
        );
        assert!(filter_items(r#"{"model": 3}"#).is_err());
        assert!(filter_items("{not json").is_err());
    }
}
