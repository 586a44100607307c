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

    /// A purchase batch as CSV, to send.
    pub fn purchases_csv(&self, client: &Client, csv: impl Into<reqwest::Body>) -> RequestBuilder {
        self.with_body(Method::POST, "/v1/purchases/batch", client, "text/csv", csv)
    }

    /// The sourcing mix for a query (`from=…&to=…&group_by=…`), asserting 200.
    pub async fn sourcing_mix(&self, client: &Client, query: &str) -> Value {
        self.get(&format!("/v1/sourcing-mix?{query}"), client)
            .expect_status(StatusCode::OK)
            .await
    }
}
