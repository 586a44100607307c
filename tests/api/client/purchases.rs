//! An organisation's purchases, its sourcing policy and its sourcing mix.

use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::Value;

use crate::builders::PurchaseLine;
use crate::helpers::{Client, Expect, TestApp};

impl TestApp {
    /// Records a new purchase line, asserting 201; the purchase.
    pub async fn create_purchase(&self, client: &Client, line: &PurchaseLine) -> Value {
        let answer = self
            .post("/v1/purchases", client, line)
            .expect_status(StatusCode::CREATED)
            .await;
        answer["purchase"].clone()
    }

    /// Deletes a purchase, asserting 204.
    pub async fn delete_purchase(&self, client: &Client, id: &str) {
        self.delete(&format!("/v1/purchases/{id}"), client)
            .expect_status(StatusCode::NO_CONTENT)
            .await;
    }

    /// Loads lines as a JSON batch, asserting 200; the batch report.
    pub async fn load_purchases(&self, client: &Client, lines: &[PurchaseLine]) -> Value {
        self.post("/v1/purchases/batch", client, &lines)
            .expect_status(StatusCode::OK)
            .await
    }

    /// A purchase batch as CSV, to send.
    pub fn purchases_csv(&self, client: &Client, csv: impl Into<reqwest::Body>) -> RequestBuilder {
        self.with_body(Method::POST, "/v1/purchases/batch", client, "text/csv", csv)
    }

    /// The organisation's sourcing policy answer (`source` and `policy`), asserting 200.
    pub async fn policy(&self, client: &Client) -> Value {
        self.get("/v1/policy", client)
            .expect_status(StatusCode::OK)
            .await
    }

    /// Replaces the organisation's sourcing policy, asserting 200; the answer.
    pub async fn put_policy(&self, client: &Client, policy: &Value) -> Value {
        self.put("/v1/policy", client, policy)
            .expect_status(StatusCode::OK)
            .await
    }

    /// The sourcing mix for a query (`from=…&to=…&group_by=…`), asserting 200.
    pub async fn sourcing_mix(&self, client: &Client, query: &str) -> Value {
        self.get(&format!("/v1/sourcing-mix?{query}"), client)
            .expect_status(StatusCode::OK)
            .await
    }
}
