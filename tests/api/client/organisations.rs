//! Organisations and their API clients, registered by the operator.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{Client, Expect, HasId, TestApp};

impl TestApp {
    /// A new organisation of `kind` with one client holding `scopes`, through the API.
    pub async fn organisation(&self, name: &str, kind: &str, scopes: &[&str]) -> Client {
        let org = self
            .post(
                "/v1/organisations",
                &self.operator,
                &json!({"name": name, "kind": kind}),
            )
            .expect_status(StatusCode::CREATED)
            .await;
        self.client_of(&org.id(), "test client", scopes).await
    }

    /// A purchaser with every scope a purchaser may hold.
    pub async fn purchaser(&self, name: &str) -> Client {
        self.organisation(
            name,
            "purchaser",
            &[
                "catalog:read",
                "purchases:read",
                "purchases:write",
                "provenance:read",
                "provenance:write",
            ],
        )
        .await
    }

    /// A new client of an existing organisation holding `scopes`, with its token.
    pub async fn client_of(&self, org_id: &str, name: &str, scopes: &[&str]) -> Client {
        let created = self
            .post(
                &format!("/v1/organisations/{org_id}/clients"),
                &self.operator,
                &json!({"name": name, "scopes": scopes}),
            )
            .expect_status(StatusCode::CREATED)
            .await;
        let client_id = created["client_id"].as_str().expect("client_id").to_owned();
        let secret = created["client_secret"]
            .as_str()
            .expect("secret")
            .to_owned();
        let token = self.token(&client_id, &secret).await;
        Client {
            org_id: org_id.to_owned(),
            client_id,
            secret,
            token,
        }
    }
}
