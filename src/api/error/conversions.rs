//! Every lower error becomes an [`ApiError`] here, once: the store's, the use cases', diesel's,
//! the pool's, and the refusals of the domain and of authentication.

use actix_web::http::StatusCode;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use super::{ApiError, ProblemType, rejected};

impl From<crate::auth::caller::MissingScope> for ApiError {
    fn from(missing: crate::auth::caller::MissingScope) -> ApiError {
        ApiError::insufficient_scope(missing.0.as_str())
    }
}

impl From<r2d2::Error> for ApiError {
    fn from(error: r2d2::Error) -> ApiError {
        ApiError::from(crate::db::Unavailable::from(error))
    }
}

impl From<crate::auth::secret_checks::Busy> for ApiError {
    fn from(_: crate::auth::secret_checks::Busy) -> ApiError {
        ApiError::unavailable(
            "too many client authentications are in progress; retry after Retry-After seconds",
        )
    }
}

impl From<crate::db::Unavailable> for ApiError {
    fn from(error: crate::db::Unavailable) -> ApiError {
        ApiError::unavailable(error.0)
    }
}

impl From<crate::domain::validation::Invalid> for ApiError {
    fn from(invalid: crate::domain::validation::Invalid) -> ApiError {
        ApiError::validation(invalid.0)
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(error: crate::store::StoreError) -> ApiError {
        use crate::store::StoreError;
        match error {
            StoreError::Database(e) => ApiError::from(e),
            StoreError::Unavailable(detail) => ApiError::unavailable(detail),
            StoreError::Corrupt(detail) => ApiError::internal(detail),
            StoreError::Rejected { rejections, detail } => rejected(rejections, detail),
            StoreError::Conflict(detail) => ApiError::conflict(detail),
            StoreError::BadParameter { name, detail } => ApiError::invalid_parameter(name, detail),
        }
    }
}

impl From<crate::app::AppError> for ApiError {
    fn from(error: crate::app::AppError) -> ApiError {
        use crate::app::AppError;
        match error {
            AppError::Rejected { rejections, detail } => rejected(rejections, detail),
            AppError::NotFound(detail) => ApiError::not_found(detail),
            AppError::Conflict(detail) => ApiError::conflict(detail),
            AppError::Forbidden(detail) => {
                ApiError::new(StatusCode::FORBIDDEN, ProblemType::Forbidden, detail)
            }
            AppError::TooLarge(detail) => ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                ProblemType::PayloadTooLarge,
                detail,
            ),
            AppError::BadParameter { name, detail } => ApiError::invalid_parameter(name, detail),
            AppError::Store(e) => ApiError::from(e),
            AppError::Internal(detail) => ApiError::internal(detail),
        }
    }
}

impl From<DieselError> for ApiError {
    fn from(error: DieselError) -> ApiError {
        match &error {
            DieselError::NotFound => ApiError::not_found("no such resource"),
            DieselError::DatabaseError(kind, info) => match kind {
                DatabaseErrorKind::UniqueViolation => ApiError::conflict(format!(
                    "a record with the same unique value already exists ({})",
                    info.constraint_name().unwrap_or("unique constraint")
                )),
                DatabaseErrorKind::ClosedConnection
                | DatabaseErrorKind::UnableToSendCommand
                | DatabaseErrorKind::SerializationFailure => {
                    log::warn!("database: {error}");
                    ApiError::unavailable("the database connection failed; retry shortly")
                }
                // A NUL (`\u0000`) in a JSON string is valid JSON but not storable text.
                _ if info.message().contains("invalid byte sequence")
                    || info
                        .message()
                        .contains("unsupported Unicode escape sequence") =>
                {
                    ApiError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        ProblemType::Validation,
                        "a text value contains a NUL character, which cannot be stored",
                    )
                }
                _ if is_transient(info.message()) => {
                    log::warn!("database: {error}");
                    ApiError::unavailable("the database is busy; retry shortly")
                }
                _ => ApiError::internal(format!("database: {error}")),
            },
            // The connection died inside a transaction (PostgreSQL restarted, or the backend
            // was terminated) and the rollback could not be sent: nothing was committed, and the
            // pool discards the connection. Found by scripts/faults.sh.
            DieselError::BrokenTransactionManager => {
                log::warn!("database: {error}");
                ApiError::unavailable("the database connection failed; retry shortly")
            }
            _ => ApiError::internal(format!("database: {error}")),
        }
    }
}

/// SQLite's busy and locked errors, and PostgreSQL's shutdown and timeout messages, are worth a
/// retry rather than a 500.
fn is_transient(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("database is locked")
        || m.contains("database is busy")
        || m.contains("terminating connection")
        || m.contains("server closed the connection")
        || m.contains("the database system is")
        || m.contains("canceling statement due to statement timeout")
        || m.contains("could not connect")
        || m.contains("connection refused")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_connection_lost_inside_a_transaction_is_503() {
        let e = ApiError::from(DieselError::BrokenTransactionManager);
        assert_eq!(e.status, StatusCode::SERVICE_UNAVAILABLE);
    }
}
