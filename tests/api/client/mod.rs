//! Typed requests per resource on [`TestApp`](crate::helpers::TestApp), for the calls a test
//! makes to set up or read what it checks: each asserts the status of success and returns the
//! answer (`app.create_purchase(&buyer, &line)`). A test that checks the status itself sends
//! the request with `app.post`/`app.get` and `send`, `Expect::expect_status` or
//! `Expect::expect_problem`.

mod catalog;
mod organisations;
mod pages;
mod provenance;
mod purchases;
