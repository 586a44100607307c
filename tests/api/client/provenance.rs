//! An organisation's lots, custody events and traces.

use reqwest::StatusCode;
use serde_json::Value;

use crate::builders::{Event, Lot};
use crate::helpers::{Client, Expect, TestApp};

impl TestApp {
    /// Records a lot, asserting 201; the lot.
    pub async fn create_lot(&self, client: &Client, lot: &Lot) -> Value {
        self.post("/v1/lots", client, lot)
            .expect_status(StatusCode::CREATED)
            .await
    }

    /// Records one event, asserting 201; the written event with its flags.
    pub async fn record_event(&self, client: &Client, event: &Event) -> Value {
        self.post("/v1/custody-events", client, event)
            .expect_status(StatusCode::CREATED)
            .await
    }

    /// Records events in one batch, asserting 201; the written events with their flags.
    pub async fn record_events(
        &self,
        client: &Client,
        events: impl IntoIterator<Item = Event>,
    ) -> Value {
        self.post("/v1/custody-events", client, &Event::batch(events))
            .expect_status(StatusCode::CREATED)
            .await
    }

    /// The trace of a lot, asserting 200.
    pub async fn trace_lot(&self, client: &Client, lot_id: &str) -> Value {
        self.get(&format!("/v1/lots/{lot_id}/provenance"), client)
            .expect_status(StatusCode::OK)
            .await
    }

    /// The trace of a purchase, asserting 200.
    pub async fn trace_purchase(&self, client: &Client, purchase_id: &str) -> Value {
        self.get(&format!("/v1/purchases/{purchase_id}/provenance"), client)
            .expect_status(StatusCode::OK)
            .await
    }
}
