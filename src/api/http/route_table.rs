//! Every path and method the API serves, and the scopes each operation requires, read from the
//! OpenAPI document: the 404/405 answers, the public operations (never rate-limited) and the
//! idempotency middleware's authorisation come from here.

use actix_web::dev::ResourceDef;
use actix_web::http::Method;

use crate::auth::scopes::{Scope, ScopeSet};

/// Every path the API serves and its methods, from the OpenAPI document.
pub struct RouteTable {
    routes: Vec<(ResourceDef, Vec<Method>)>,
    /// Per operation, the scope sets that admit a caller (any one of them suffices; an empty
    /// set admits any valid token), as the document's `security` states them.
    security: Vec<(ResourceDef, Method, Vec<Vec<Scope>>)>,
    /// The static paths whose every operation needs no token (probes, metrics, keys, the token
    /// endpoint, the contract and its docs).
    public: Vec<String>,
}

impl RouteTable {
    pub fn from_openapi(doc: &utoipa::openapi::OpenApi) -> RouteTable {
        let mut routes: Vec<(ResourceDef, Vec<Method>)> = doc
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let mut methods = Vec::new();
                let candidates = [
                    (&item.get, Method::GET),
                    (&item.put, Method::PUT),
                    (&item.post, Method::POST),
                    (&item.delete, Method::DELETE),
                    (&item.patch, Method::PATCH),
                ];
                for (operation, method) in candidates {
                    if operation.is_some() {
                        methods.push(method);
                    }
                }
                (ResourceDef::new(path.as_str()), methods)
            })
            .collect();
        for path in [
            "/openapi.json",
            "/docs",
            "/docs/{tail}*",
            "/console",
            "/console/{tail}*",
        ] {
            routes.push((ResourceDef::new(path), vec![Method::GET]));
        }
        let mut security = Vec::new();
        for (path, item) in &doc.paths.paths {
            let candidates = [
                (&item.get, Method::GET),
                (&item.put, Method::PUT),
                (&item.post, Method::POST),
                (&item.delete, Method::DELETE),
                (&item.patch, Method::PATCH),
            ];
            for (operation, method) in candidates {
                let Some(requirements) = operation.as_ref().and_then(|o| o.security.as_ref())
                else {
                    continue;
                };
                let alternatives: Vec<Vec<Scope>> = requirements
                    .iter()
                    .filter_map(|requirement| {
                        let value = serde_json::to_value(requirement).ok()?;
                        let scopes = value.as_object()?.values().next()?.as_array()?.clone();
                        Some(
                            scopes
                                .iter()
                                .filter_map(|s| s.as_str().and_then(Scope::parse))
                                .collect(),
                        )
                    })
                    .collect();
                if !alternatives.is_empty() {
                    security.push((ResourceDef::new(path.as_str()), method, alternatives));
                }
            }
        }
        let mut public: Vec<String> = doc
            .paths
            .paths
            .iter()
            .filter(|(path, item)| {
                let operations = [&item.get, &item.put, &item.post, &item.delete, &item.patch];
                !path.contains('{')
                    && operations.iter().all(|operation| {
                        operation
                            .as_ref()
                            .is_none_or(|o| o.security.as_ref().is_none_or(Vec::is_empty))
                    })
            })
            .map(|(path, _)| path.clone())
            .collect();
        public.push("/openapi.json".to_owned());
        RouteTable {
            routes,
            security,
            public,
        }
    }

    /// Whether `scopes` admit the caller to the operation `method path`, as the document's
    /// security requirements say; `None` when the document names no such secured operation.
    pub fn admits(&self, method: &Method, path: &str, scopes: &ScopeSet) -> Option<bool> {
        let is_static = |def: &ResourceDef| def.pattern().is_some_and(|p| !p.contains('{'));
        let matching = |def: &ResourceDef, m: &Method| m == method && def.is_match(path);
        let found = self
            .security
            .iter()
            .find(|(def, m, _)| is_static(def) && matching(def, m))
            .or_else(|| self.security.iter().find(|(def, m, _)| matching(def, m)))?;
        Some(
            found
                .2
                .iter()
                .any(|needed| needed.iter().all(|scope| scopes.contains(*scope))),
        )
    }

    /// Whether `path` is served without a token: an operation the document lists without a
    /// security requirement, the document itself, its interactive docs or the console's files.
    pub fn is_public(&self, path: &str) -> bool {
        self.public.iter().any(|p| p == path)
            || path == "/docs"
            || path.starts_with("/docs/")
            || path == "/console"
            || path.starts_with("/console/")
    }

    /// The methods of the static route (no `{param}`) whose path is exactly `path`.
    pub fn static_methods_for(&self, path: &str) -> Option<Vec<Method>> {
        self.routes
            .iter()
            .find(|(def, _)| def.pattern().is_some_and(|p| !p.contains('{') && p == path))
            .map(|(_, methods)| methods.clone())
    }

    /// The methods allowed on `path`, or `None` when no route has that path. A path that a
    /// static route matches (`/v1/facilities/batch`) takes that route's methods only, not
    /// those of a template that also matches it (`/v1/facilities/{id}`).
    pub fn methods_for(&self, path: &str) -> Option<Vec<Method>> {
        let is_static = |def: &ResourceDef| def.pattern().is_some_and(|p| !p.contains('{'));
        let static_match = self
            .routes
            .iter()
            .any(|(def, _)| is_static(def) && def.is_match(path));
        let mut found: Option<Vec<Method>> = None;
        for (def, methods) in &self.routes {
            if def.is_match(path) && (!static_match || is_static(def)) {
                let entry = found.get_or_insert_with(Vec::new);
                for method in methods {
                    if !entry.contains(method) {
                        entry.push(method.clone());
                    }
                }
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_table_matches_templates() {
        let table = RouteTable {
            routes: vec![
                (
                    ResourceDef::new("/v1/things"),
                    vec![Method::GET, Method::POST],
                ),
                (ResourceDef::new("/v1/things/{id}"), vec![Method::GET]),
            ],
            security: Vec::new(),
            public: Vec::new(),
        };
        assert_eq!(table.methods_for("/v1/things/abc"), Some(vec![Method::GET]));
        assert_eq!(table.methods_for("/v1/things").map(|m| m.len()), Some(2));
        assert_eq!(table.methods_for("/v1/other"), None);
        assert_eq!(table.methods_for("/v1/things/abc/def"), None);
        let with_batch = RouteTable {
            routes: vec![
                (ResourceDef::new("/v1/things/{id}"), vec![Method::GET]),
                (ResourceDef::new("/v1/things/batch"), vec![Method::POST]),
            ],
            security: Vec::new(),
            public: Vec::new(),
        };
        assert_eq!(
            with_batch.methods_for("/v1/things/batch"),
            Some(vec![Method::POST])
        );
    }

    #[test]
    fn scope_requirements_come_from_the_document() {
        let table = RouteTable::from_openapi(&crate::api::openapi::document());
        let set = |scopes: &[Scope]| scopes.iter().copied().collect::<ScopeSet>();
        let read = set(&[Scope::CatalogRead]);
        let admin = set(&[Scope::Admin]);
        let clients = "/v1/organisations/0193d5e2-0000-7000-8000-000000000000/clients";
        assert_eq!(table.admits(&Method::POST, clients, &read), Some(false));
        assert_eq!(table.admits(&Method::POST, clients, &admin), Some(true));
        assert_eq!(
            table.admits(&Method::POST, "/v1/facilities/batch", &read),
            Some(false)
        );
        assert_eq!(table.admits(&Method::GET, "/v1/me", &set(&[])), Some(true));
        assert_eq!(table.admits(&Method::POST, "/v1/auth/token", &read), None);
    }

    #[test]
    fn public_paths_come_from_the_document() {
        let table = RouteTable::from_openapi(&crate::api::openapi::document());
        for path in [
            "/health/live",
            "/health/ready",
            "/metrics",
            "/.well-known/jwks.json",
            "/v1/auth/token",
            "/openapi.json",
            "/docs/",
        ] {
            assert!(table.is_public(path), "{path}");
        }
        for path in [
            "/v1/me",
            "/v1/purchases",
            "/v1/facilities",
            "/metricsx",
            "/docsx",
            "/v1/auth/tokens",
        ] {
            assert!(!table.is_public(path), "{path}");
        }
    }
}
