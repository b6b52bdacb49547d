//! Identical concurrent requests share one computation: the first caller with a key runs it,
//! callers arriving while it runs wait for its result instead of starting their own. Once it
//! finishes the key is released, so results are never reused beyond that moment.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

pub struct SingleFlight<K, V> {
    in_flight: Mutex<HashMap<K, Arc<OnceCell<V>>>>,
}

impl<K, V> Default for SingleFlight<K, V> {
    fn default() -> Self {
        SingleFlight {
            in_flight: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: Eq + Hash + Clone, V: Clone> SingleFlight<K, V> {
    /// `compute`'s result, shared with every caller of the same key while it runs. If the caller
    /// running it goes away (a client disconnects), a waiting caller takes over.
    pub async fn run<F, Fut>(&self, key: K, compute: F) -> V
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = V>,
    {
        let cell = match self.in_flight.lock() {
            Ok(mut map) => map.entry(key.clone()).or_default().clone(),
            // A poisoned map only loses sharing, never correctness.
            Err(_) => Arc::new(OnceCell::new()),
        };
        let value = cell.get_or_init(compute).await.clone();
        if let Ok(mut map) = self.in_flight.lock() {
            if map
                .get(&key)
                .is_some_and(|current| Arc::ptr_eq(current, &cell))
            {
                map.remove(&key);
            }
        }
        value
    }

    pub fn in_flight(&self) -> usize {
        self.in_flight.lock().map(|m| m.len()).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[tokio::test]
    async fn concurrent_callers_share_one_computation() {
        let flights = Arc::new(SingleFlight::<&str, usize>::default());
        let runs = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let (flights, runs) = (flights.clone(), runs.clone());
                tokio::spawn(async move {
                    flights
                        .run("k", || async {
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            runs.fetch_add(1, Ordering::SeqCst) + 100
                        })
                        .await
                })
            })
            .collect();
        for task in tasks {
            assert_eq!(task.await.unwrap(), 100);
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        assert_eq!(flights.in_flight(), 0);
    }

    #[tokio::test]
    async fn a_finished_flight_is_not_reused() {
        let flights = SingleFlight::<&str, u32>::default();
        assert_eq!(flights.run("k", || async { 1 }).await, 1);
        assert_eq!(flights.run("k", || async { 2 }).await, 2);
    }

    #[tokio::test]
    async fn different_keys_do_not_wait_for_each_other() {
        let flights = SingleFlight::<u32, u32>::default();
        let (a, b) = tokio::join!(
            flights.run(1, || async { 10 }),
            flights.run(2, || async { 20 })
        );
        assert_eq!((a, b), (10, 20));
    }
}
