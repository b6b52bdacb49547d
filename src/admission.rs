//! Admission control for expensive work: requests that reach the database (the SQL path,
//! /metrics/query, CSV exports) and CPU-heavy work over the in-memory rollup (ranking sessions or
//! users) are bounded in total and per client. The excess is refused at once — 503 when the
//! service is full, 429 when one client holds its share — with `Retry-After`, instead of queueing
//! into the pool's 2 s wait or the request deadline. Health checks and cheap in-memory answers
//! never take a slot, so they stay fast however much expensive work is asked for.
//!
//! The guard opens a [`Ticket`] per request (for its client: API key, else address) and runs the
//! request inside it; code about to do expensive work asks [`admit_database`] or [`admit_cpu`].
//! A request holds at most one database slot, from its first connection until it ends (a
//! streamed CSV keeps its ticket until the last row), and counts once against its client.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::config::AdmissionSettings;
use crate::error::ApiError;

/// Seconds a shed caller is asked to wait: expensive requests take about that long.
pub const RETRY_AFTER_SECONDS: u64 = 2;

/// How long CPU-heavy work may wait for a slot. The rankings take milliseconds on most tables
/// and a few hundred on the largest, so a burst (a dashboard opening, a few users at once) is
/// served after a short wait, while sustained overload is still shed well before the deadline.
pub const CPU_WAIT: std::time::Duration = std::time::Duration::from_secs(1);

/// The slots, shared by all workers.
pub struct Admission {
    settings: AdmissionSettings,
    database: Arc<Semaphore>,
    cpu: Arc<Semaphore>,
    /// Requests of each client currently holding a slot.
    clients: Mutex<HashMap<String, usize>>,
}

impl Admission {
    pub fn new(settings: AdmissionSettings) -> Arc<Admission> {
        Arc::new(Admission {
            database: Arc::new(Semaphore::new(settings.max_database)),
            cpu: Arc::new(Semaphore::new(settings.max_cpu)),
            clients: Mutex::new(HashMap::new()),
            settings,
        })
    }

    pub fn settings(&self) -> &AdmissionSettings {
        &self.settings
    }

    /// Counts one more expensive request for `client`, unless it already has its share.
    fn enter(&self, client: &str) -> Result<(), ApiError> {
        let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        let held = clients.entry(client.to_string()).or_insert(0);
        if *held >= self.settings.max_per_client {
            if *held == 0 {
                clients.remove(client);
            }
            return Err(ApiError::ClientBusy {
                limit: self.settings.max_per_client,
                retry_after: RETRY_AFTER_SECONDS,
            });
        }
        *held += 1;
        Ok(())
    }

    fn leave(&self, client: &str) {
        let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(held) = clients.get_mut(client) {
            *held = held.saturating_sub(1);
            if *held == 0 {
                clients.remove(client);
            }
        }
    }

    fn overloaded(&self, what: &'static str, limit: usize) -> ApiError {
        ApiError::Overloaded {
            what,
            limit,
            retry_after: RETRY_AFTER_SECONDS,
        }
    }
}

/// One request's claim on the slots; released when the request (and its stream) ends.
pub struct Ticket {
    admission: Arc<Admission>,
    client: String,
    held: Mutex<Held>,
}

#[derive(Default)]
struct Held {
    /// Whether this request counts against its client.
    entered: bool,
    database: Option<OwnedSemaphorePermit>,
}

impl Ticket {
    pub fn new(admission: Arc<Admission>, client: String) -> Arc<Ticket> {
        Arc::new(Ticket {
            admission,
            client,
            held: Mutex::new(Held::default()),
        })
    }

    fn held(&self) -> std::sync::MutexGuard<'_, Held> {
        self.held.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts this request against its client (once).
    fn enter(&self, held: &mut Held) -> Result<(), ApiError> {
        if !held.entered {
            self.admission.enter(&self.client)?;
            held.entered = true;
        }
        Ok(())
    }

    /// A database slot for the rest of the request, or the reason there is none.
    fn hold_database(&self) -> Result<(), ApiError> {
        let mut held = self.held();
        if held.database.is_some() {
            return Ok(());
        }
        let admission = &self.admission;
        let permit = admission
            .database
            .clone()
            .try_acquire_owned()
            .map_err(|_| {
                admission.overloaded(
                    "SQL-path (ADMISSION_MAX_DATABASE)",
                    admission.settings.max_database,
                )
            })?;
        self.enter(&mut held)?;
        held.database = Some(permit);
        Ok(())
    }

    /// A CPU slot until the returned permit is dropped, waiting at most [`CPU_WAIT`] for one.
    async fn cpu_permit(&self) -> Result<OwnedSemaphorePermit, ApiError> {
        {
            let mut held = self.held();
            self.enter(&mut held)?;
        }
        let admission = &self.admission;
        let slot = admission.cpu.clone().acquire_owned();
        match tokio::time::timeout(CPU_WAIT, slot).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => {
                Err(admission
                    .overloaded("CPU-heavy (ADMISSION_MAX_CPU)", admission.settings.max_cpu))
            }
        }
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let entered = self.held().entered;
        if entered {
            self.admission.leave(&self.client);
        }
    }
}

tokio::task_local! {
    static TICKET: Arc<Ticket>;
}

/// Runs `request` with `ticket` as its claim (the guard does this for every API request).
pub async fn within<F: Future>(ticket: Arc<Ticket>, request: F) -> F::Output {
    TICKET.scope(ticket, request).await
}

/// The running request's ticket, for work that outlives the handler (a streamed export).
pub fn current() -> Option<Arc<Ticket>> {
    TICKET.try_with(Arc::clone).ok()
}

/// Admits the running request to the database: at once, or 503/429. Work outside a request
/// (start-up, the rollup's refresher) is not counted.
pub fn admit_database() -> Result<(), ApiError> {
    match current() {
        Some(ticket) => ticket.hold_database(),
        None => Ok(()),
    }
}

/// A slot for CPU-heavy work of the running request (held until the permit drops), or 503/429.
/// None outside a request.
pub async fn admit_cpu() -> Result<Option<OwnedSemaphorePermit>, ApiError> {
    match current() {
        Some(ticket) => ticket.cpu_permit().await.map(Some),
        None => Ok(None),
    }
}

/// Runs CPU-heavy `work` on tokio's blocking threads, so HTTP workers (and the health checks
/// they answer) never wait behind it. A deadline that passes meanwhile answers the request; the
/// work then finishes in the background, still holding its slot, so the bound stays true.
pub async fn off_worker<T, F>(work: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ApiError::Internal(format!("background computation failed: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admission(max_database: usize, max_cpu: usize, max_per_client: usize) -> Arc<Admission> {
        Admission::new(AdmissionSettings {
            max_database,
            max_cpu,
            max_per_client,
            csv_max_rows: 10,
        })
    }

    #[tokio::test]
    async fn the_total_bound_sheds_with_503_and_frees_on_drop() {
        let admission = admission(2, 1, 10);
        let a = Ticket::new(admission.clone(), "a".into());
        let b = Ticket::new(admission.clone(), "b".into());
        let c = Ticket::new(admission.clone(), "c".into());
        within(a.clone(), async { admit_database() }).await.unwrap();
        // A second connection of the same request needs no second slot.
        within(a.clone(), async { admit_database() }).await.unwrap();
        within(b.clone(), async { admit_database() }).await.unwrap();
        let shed = within(c.clone(), async { admit_database() }).await;
        assert!(matches!(shed, Err(ApiError::Overloaded { limit: 2, .. })));
        drop(a);
        within(c, async { admit_database() }).await.unwrap();
    }

    #[tokio::test]
    async fn one_client_gets_its_share_then_429() {
        let admission = admission(10, 10, 2);
        let tickets: Vec<_> = (0..3)
            .map(|_| Ticket::new(admission.clone(), "key:0".into()))
            .collect();
        within(tickets[0].clone(), async { admit_database() })
            .await
            .unwrap();
        let _cpu = within(tickets[1].clone(), admit_cpu()).await.unwrap();
        let third = within(tickets[2].clone(), async { admit_database() }).await;
        assert!(matches!(third, Err(ApiError::ClientBusy { limit: 2, .. })));
        // Another client is not affected, and the refused request took no database slot.
        let other = Ticket::new(admission.clone(), "key:1".into());
        within(other.clone(), async { admit_database() })
            .await
            .unwrap();
        assert_eq!(admission.database.available_permits(), 8);
        // A finished request gives its slot back.
        drop(other);
        assert_eq!(admission.database.available_permits(), 9);
    }

    #[tokio::test]
    async fn cpu_slots_are_released_with_their_permit() {
        let admission = admission(10, 1, 10);
        let ticket = Ticket::new(admission.clone(), "a".into());
        let permit = within(ticket.clone(), admit_cpu()).await.unwrap();
        assert!(permit.is_some());
        let busy = within(ticket.clone(), admit_cpu()).await;
        assert!(matches!(busy, Err(ApiError::Overloaded { .. })));
        drop(permit);
        assert!(within(ticket.clone(), admit_cpu()).await.unwrap().is_some());
    }

    #[tokio::test]
    async fn a_burst_waits_briefly_for_a_cpu_slot_instead_of_being_shed() {
        let admission = admission(10, 1, 10);
        let first = Ticket::new(admission.clone(), "a".into());
        let permit = within(first, admit_cpu()).await.unwrap();
        let second = Ticket::new(admission.clone(), "b".into());
        let waiting = tokio::spawn(within(second, admit_cpu()));
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        drop(permit);
        assert!(waiting.await.unwrap().unwrap().is_some());
    }

    #[tokio::test]
    async fn work_outside_a_request_is_not_counted() {
        admit_database().unwrap();
        assert!(admit_cpu().await.unwrap().is_none());
    }
}
