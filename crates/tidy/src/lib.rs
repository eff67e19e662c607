//! The repository's habits, checked as tests (`cargo test -p tidy`, and so
//! in `.ci/run`): every crate and source file says what it is; the layers
//! depend one way; the day's length, the local clock's offset and the snap
//! radius have one definition each; every exception to a lint says why;
//! the OpenAPI document lists exactly the routes the router serves.
//!
//! It reads the repository as text and runs nothing. It is not a style
//! checker (rustfmt and clippy are), and it does not replace the boundary
//! check in `.ci/run`, which follows dependencies transitively.

#[cfg(test)]
mod tests;
