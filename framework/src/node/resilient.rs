//! An act under its policy: the breaker's verdict, the bulkheads' places, then the route,
//! retried with backoff while the failure may be retried and the deadline leaves room.
//! Acts without a policy or a concurrency limit never come here (`dispatch.rs`).

use std::sync::Arc;

use serde_json::Value;
use tokio::time::Instant;

use super::stats::Side;
use super::{Node, Route};
use crate::error::ActError;
use crate::message::Meta;
use crate::resilience::fault::Fault;
use crate::resilience::Guard;

impl Node {
    /// Runs `route` on `msg` under `guard` (its policy, if any) and the route's own bulkhead.
    /// Every attempt carries the same meta — the same message id, so that a listener can
    /// deduplicate — and the same deadline: a retry whose backoff would end past it is not made,
    /// and the last failure is returned.
    pub(crate) async fn run_resilient(
        &self,
        route: Arc<Route>,
        guard: Option<Arc<Guard>>,
        msg: Value,
        meta: Meta,
        side: Side,
        started: Instant,
    ) -> Result<Value, ActError> {
        let retries = guard.as_ref().map_or(0, |g| g.retries);
        let mut msg = Some(msg);
        let mut attempt = 0;
        loop {
            let payload = if attempt < retries {
                msg.clone()
            } else {
                msg.take()
            };
            let Some(payload) = payload else {
                unreachable!("the last attempt takes the message")
            };
            let result = self
                .attempt(
                    &route,
                    guard.as_deref(),
                    payload,
                    meta.clone(),
                    side,
                    started,
                )
                .await;
            let err = match (result, guard.as_deref()) {
                (Ok(reply), _) => return Ok(reply),
                (Err(err), Some(guard)) if guard.retries_after(attempt, &err, route.idempotent) => {
                    err
                }
                (Err(err), _) => return Err(err),
            };
            let Some(guard) = guard.as_deref() else {
                return Err(err);
            };
            let wait = guard.backoff(attempt);
            if Instant::now() + wait >= meta.deadline {
                return Err(err);
            }
            crate::metrics::resilience::retried(&guard.pattern, err.code());
            tracing::debug!(
                porticus.pattern = %route.canonical,
                attempt = attempt + 1,
                error = %err,
                wait_ms = wait.as_millis() as u64,
                "retrying act"
            );
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    /// One attempt: admitted by the breaker, given a place by the policy's and the route's
    /// bulkheads, run, and its outcome recorded on the breaker.
    async fn attempt(
        &self,
        route: &Arc<Route>,
        guard: Option<&Guard>,
        msg: Value,
        meta: Meta,
        side: Side,
        started: Instant,
    ) -> Result<Value, ActError> {
        let breaker = guard.and_then(|g| g.breaker.as_ref());
        let ticket = breaker.map(|b| b.admit()).transpose()?;
        let _policy_place = match guard.and_then(|g| g.bulkhead.as_ref()) {
            Some(bulkhead) => Some(bulkhead.enter(meta.deadline).await?),
            None => None,
        };
        let _route_place = match &route.bulkhead {
            Some(bulkhead) => Some(bulkhead.enter(meta.deadline).await?),
            None => None,
        };
        let result = self.run(route.clone(), msg, meta, side, started).await;
        if let (Some(breaker), Some(ticket)) = (breaker, ticket) {
            let failed = result
                .as_ref()
                .is_err_and(|err| Fault::of(err).is_callee_failure());
            breaker.record(ticket, failed);
        }
        result
    }
}
