//! Routes as data: one `matchit` tree per HTTP method (plus one for
//! `api.any`), built from the methods' `api.get/post/...` annotations.
//!
//! Kitex's path syntax is rewritten for matchit: `:name` (one segment)
//! becomes `{name}`, `*name` (the rest, last segment only) becomes
//! `{*name}`, and literal braces are escaped. Static segments win over
//! parameters, parameters over catch-alls. There is no trailing-slash
//! redirect and no HEAD → GET fallback (as in Kitex). Matching is on the
//! raw (percent-encoded) path; parameter values are percent-decoded.

use std::borrow::Cow;
use std::collections::HashMap;

use http::Method;

use crate::error::{Error, HttpError};

/// Route annotations and their HTTP methods; `None` is `api.any`.
pub(crate) const ROUTE_ANNOTATIONS: [(&str, Option<Method>); 8] = [
    ("api.get", Some(Method::GET)),
    ("api.post", Some(Method::POST)),
    ("api.put", Some(Method::PUT)),
    ("api.delete", Some(Method::DELETE)),
    ("api.patch", Some(Method::PATCH)),
    ("api.head", Some(Method::HEAD)),
    ("api.options", Some(Method::OPTIONS)),
    ("api.any", None),
];

/// Rewrites a Kitex route (`/a/:b/*c`) into matchit's syntax (`/a/{b}/{*c}`).
pub(crate) fn to_matchit(path: &str) -> Result<String, String> {
    if !path.starts_with('/') {
        return Err(format!("route `{path}` must start with `/`"));
    }
    let mut out = String::with_capacity(path.len() + 4);
    let segments: Vec<&str> = path[1..].split('/').collect();
    let last = segments.len() - 1;
    for (i, seg) in segments.iter().enumerate() {
        out.push('/');
        let wild = seg.find([':', '*']);
        match wild {
            None => {
                for c in seg.chars() {
                    match c {
                        '{' => out.push_str("{{"),
                        '}' => out.push_str("}}"),
                        c => out.push(c),
                    }
                }
            }
            Some(0) => {
                let (kind, name) = seg.split_at(1);
                if name.is_empty() {
                    return Err(format!("route `{path}`: a wildcard needs a name"));
                }
                if name.contains([':', '*', '{', '}']) {
                    return Err(format!(
                        "route `{path}`: only one wildcard per segment (`{seg}`)"
                    ));
                }
                if kind == "*" {
                    if i != last {
                        return Err(format!(
                            "route `{path}`: the catch-all `{seg}` must be the last segment"
                        ));
                    }
                    out.push_str("{*");
                } else {
                    out.push('{');
                }
                out.push_str(name);
                out.push('}');
            }
            Some(_) => {
                return Err(format!(
                    "route `{path}`: a wildcard must start its segment (`{seg}`)"
                ));
            }
        }
    }
    Ok(out)
}

/// One tree of routes with the method label behind each.
#[derive(Default)]
pub(crate) struct Tree {
    router: matchit::Router<usize>,
    labels: HashMap<String, String>,
}

impl Tree {
    /// Inserts `route` (matchit syntax) for endpoint `ep`, labelled
    /// `label` for conflict messages.
    pub(crate) fn insert(
        &mut self,
        http: &str,
        original: &str,
        route: &str,
        ep: usize,
        label: &str,
    ) -> Result<(), Error> {
        match self.router.insert(route, ep) {
            Ok(()) => {
                self.labels.insert(route.to_owned(), label.to_owned());
                Ok(())
            }
            Err(matchit::InsertError::Conflict { with }) => {
                let other = self
                    .labels
                    .get(&with)
                    .cloned()
                    .unwrap_or_else(|| "another method".to_owned());
                Err(Error::route(format!(
                    "{label}: route {http} `{original}` conflicts with {other} (route `{}`)",
                    from_matchit(&with)
                )))
            }
            Err(e) => Err(Error::route(format!(
                "{label}: route {http} `{original}`: {e}"
            ))),
        }
    }

    pub(crate) fn at(&self, path: &str) -> Option<(usize, Params)> {
        let m = self.router.at(path).ok()?;
        let params = m
            .params
            .iter()
            .map(|(k, v)| (k.to_owned(), decode(v).into_owned()))
            .collect();
        Some((*m.value, params))
    }

    pub(crate) fn matches(&self, path: &str) -> bool {
        self.router.at(path).is_ok()
    }
}

/// Route parameters, decoded.
pub(crate) type Params = Vec<(String, String)>;

fn from_matchit(route: &str) -> String {
    route
        .replace("{{", "\u{1}")
        .replace("}}", "\u{2}")
        .replace("{*", "*")
        .replace('{', ":")
        .replace('}', "")
        .replace('\u{1}', "{")
        .replace('\u{2}', "}")
}

pub(crate) fn decode(v: &str) -> Cow<'_, str> {
    percent_encoding::percent_decode_str(v).decode_utf8_lossy()
}

/// All trees of a route table.
#[derive(Default)]
pub(crate) struct Router {
    by_method: Vec<(Method, Tree)>,
    any: Tree,
}

impl Router {
    pub(crate) fn tree(&mut self, method: Option<&Method>) -> &mut Tree {
        let Some(method) = method else {
            return &mut self.any;
        };
        let at = match self.by_method.iter().position(|(m, _)| m == method) {
            Some(at) => at,
            None => {
                self.by_method.push((method.clone(), Tree::default()));
                self.by_method.len() - 1
            }
        };
        &mut self.by_method[at].1
    }

    /// The endpoint for a request, or the 404/405 answer.
    pub(crate) fn find(&self, method: &Method, path: &str) -> Result<(usize, Params), HttpError> {
        if let Some((_, tree)) = self.by_method.iter().find(|(m, _)| m == method)
            && let Some(found) = tree.at(path)
        {
            return Ok(found);
        }
        if let Some(found) = self.any.at(path) {
            return Ok(found);
        }
        let allow: Vec<&str> = self
            .by_method
            .iter()
            .filter(|(_, t)| t.matches(path))
            .map(|(m, _)| m.as_str())
            .collect();
        if allow.is_empty() {
            Err(HttpError::new(
                http::StatusCode::NOT_FOUND,
                "not_found",
                format!("no route for {method} {path}"),
            ))
        } else {
            Err(HttpError::new(
                http::StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                format!(
                    "{method} is not allowed on {path} (allowed: {})",
                    allow.join(", ")
                ),
            )
            .allow(allow.join(", ")))
        }
    }
}
