//! Resilience for acts: retries with backoff, circuit breakers and bulkheads, configured per
//! pattern by `[[policy]]` ([`PolicyConfig`](crate::config::PolicyConfig)) and by the
//! `idempotent` and `concurrency = N` arguments of `#[action]` (`docs/resilience.md`).
//!
//! - [`fault`]: what an act's error says about retrying it and about the callee's health —
//!   decided from its code, in one place.
//! - [`breaker`]: the circuit breaker's states and sliding window.
//! - [`bulkhead`]: a concurrency limit with a bounded wait queue.
//! - [`guard`]: one policy's runtime state; the node's act loop (`node/resilient.rs`) uses it.
//!
//! An act no policy matches, on a route without `concurrency`, takes the same path as before
//! these existed: the node checks one `Option` and moves on.

pub(crate) mod breaker;
pub(crate) mod bulkhead;
pub(crate) mod fault;
pub(crate) mod guard;

pub(crate) use bulkhead::Bulkhead;
pub(crate) use guard::{Guard, Policies};
