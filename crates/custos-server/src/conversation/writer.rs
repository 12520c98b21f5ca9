//! Group commit for conversation entries. Every append waits for its data to be
//! durable (SQLite runs with `synchronous = FULL`), and one durable commit per
//! message would bound ingestion by the disk's flush rate. The writer task takes
//! every append waiting in its queue, stores them in one transaction, and answers
//! each: one flush serves them all, and no append is acknowledged before it is durable.

use custos_store::{ConversationStore as _, EntryAppend, Store};

use super::ConversationError;
use tokio::sync::{mpsc, oneshot};

/// Appends stored per transaction at most.
const MAX_BATCH: usize = 256;

type Reply = oneshot::Sender<Result<bool, ConversationError>>;

/// The handle appends go through.
#[derive(Debug, Clone)]
pub struct EntryWriter {
    queue: mpsc::Sender<(EntryAppend, Reply)>,
}

impl EntryWriter {
    /// Starts the writer over `store`; it ends when every handle is dropped.
    pub fn spawn(store: Store) -> (Self, tokio::task::JoinHandle<()>) {
        let (queue, mut incoming) = mpsc::channel::<(EntryAppend, Reply)>(4 * MAX_BATCH);
        let task = tokio::spawn(async move {
            while let Some(first) = incoming.recv().await {
                let mut batch = vec![first];
                while batch.len() < MAX_BATCH {
                    match incoming.try_recv() {
                        Ok(next) => batch.push(next),
                        Err(_) => break,
                    }
                }
                let (mut appends, replies): (Vec<EntryAppend>, Vec<Reply>) =
                    batch.into_iter().unzip();
                match store.append_batch(&mut appends).await {
                    Ok(stored) => {
                        for (reply, ok) in replies.into_iter().zip(stored) {
                            let _ = reply.send(Ok(ok));
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, appends = replies.len(), "storing conversation entries failed");
                        for reply in replies {
                            let _ = reply.send(Err(ConversationError::Unavailable(
                                "the conversation could not be stored",
                            )));
                        }
                    }
                }
            }
        });
        (Self { queue }, task)
    }

    /// Stores `append` with whatever else is waiting; true once durable, false if the
    /// interaction is not open (nothing stored).
    pub async fn append(&self, append: EntryAppend) -> Result<bool, ConversationError> {
        let stopped = || ConversationError::Unavailable("the conversation writer has stopped");
        let (reply, answer) = oneshot::channel();
        self.queue
            .send((append, reply))
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}
