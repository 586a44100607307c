//! The shared catalog, written as the operator: facilities, parties and certificates.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{Expect, TestApp};

impl TestApp {
    /// POSTs `body` to `path` as the operator, asserts 201 and returns the created resource.
    pub async fn create(&self, path: &str, body: impl Into<Value>) -> Value {
        let body = body.into();
        let (status, created) = crate::helpers::send(self.post(path, &self.operator, &body)).await;
        assert_eq!(status, StatusCode::CREATED, "POST {path} {body}: {created}");
        created
    }

    /// Creates a facility; the facility.
    pub async fn create_facility(&self, facility: impl Into<Value>) -> Value {
        self.create("/v1/facilities", facility).await
    }

    /// Creates a party; the party.
    pub async fn create_party(&self, party: impl Into<Value>) -> Value {
        self.create("/v1/parties", party).await
    }

    /// Creates a certificate; the certificate.
    pub async fn create_certification(&self, certification: impl Into<Value>) -> Value {
        self.create("/v1/certifications", certification).await
    }

    /// Patches a facility as the operator, asserting 200; the facility.
    pub async fn patch_facility(&self, id: &str, patch: &Value) -> Value {
        self.patch(&format!("/v1/facilities/{id}"), &self.operator, patch)
            .expect_status(StatusCode::OK)
            .await
    }

    /// Patches a certificate as the operator, asserting 200; the certificate.
    pub async fn patch_certification(&self, id: &str, patch: &Value) -> Value {
        self.patch(&format!("/v1/certifications/{id}"), &self.operator, patch)
            .expect_status(StatusCode::OK)
            .await
    }
}
