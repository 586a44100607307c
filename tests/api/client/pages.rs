//! Lists: one page, or every item across pages.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{Client, Expect, HasId, TestApp};

impl TestApp {
    /// The items of one page of a list read by `client`, asserting 200.
    pub async fn items(&self, client: &Client, path: &str) -> Vec<Value> {
        let page = self.get(path, client).expect_status(StatusCode::OK).await;
        page["items"]
            .as_array()
            .unwrap_or_else(|| panic!("GET {path}: no items in {page}"))
            .clone()
    }

    /// Every item of a list read by the operator, following `next_cursor` in pages of 500.
    pub async fn all_items(&self, path: &str) -> Vec<Value> {
        let mut items = Vec::new();
        let separator = if path.contains('?') { '&' } else { '?' };
        let mut url = format!("{path}{separator}limit=500");
        loop {
            let page = self
                .get(&url, &self.operator)
                .expect_status(StatusCode::OK)
                .await;
            items.extend(page["items"].as_array().expect("items").iter().cloned());
            match page["next_cursor"].as_str() {
                Some(cursor) => url = format!("{path}{separator}limit=500&cursor={cursor}"),
                None => return items,
            }
        }
    }

    /// The ids of every item of a list read by the operator.
    pub async fn ids(&self, path: &str) -> Vec<String> {
        self.all_items(path).await.iter().map(HasId::id).collect()
    }
}
