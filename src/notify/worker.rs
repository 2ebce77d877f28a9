//! Delivery: poll the outbox, POST each event signed, back off on failure.

use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use super::{alerts, outbox, WebhookSettings};
use crate::store::{leases, Store};

/// `X-Faceverify-Signature: sha256=HEX` over `timestamp.body`, keyed with the shared secret.
pub fn sign(secret: &[u8], timestamp: i64, body: &str) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
        return String::new();
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// The lease that makes one replica at a time deliver the outbox (`store::leases`).
const LEASE: &str = "webhook_outbox";

/// A configured webhook, ready to deliver.
pub struct Delivery {
    url: String,
    secret: Zeroizing<Vec<u8>>,
    settings: WebhookSettings,
    client: reqwest::Client,
    /// This process as a lease holder.
    holder: String,
}

impl std::fmt::Debug for Delivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Delivery").field("url", &self.url).finish_non_exhaustive()
    }
}

impl Delivery {
    /// `None` when no URL is configured.
    pub fn from_settings(settings: &WebhookSettings) -> anyhow::Result<Option<Self>> {
        let Some(url) = settings.url.clone() else { return Ok(None) };
        let secret = match (&settings.secret, &settings.secret_file) {
            (Some(s), _) => Zeroizing::new(s.expose().as_bytes().to_vec()),
            (None, Some(path)) => Zeroizing::new(std::fs::read_to_string(path)?.trim().as_bytes().to_vec()),
            (None, None) => anyhow::bail!("webhook.url is set but neither webhook.secret nor webhook.secret_file"),
        };
        anyhow::ensure!(secret.len() >= 16, "the webhook secret must be at least 16 bytes");
        let client = reqwest::Client::builder().timeout(Duration::from_secs(settings.timeout_secs)).build()?;
        Ok(Some(Self { url, secret, settings: settings.clone(), client, holder: uuid::Uuid::new_v4().to_string() }))
    }

    async fn post(&self, body: &str) -> Result<(), String> {
        let timestamp = time::OffsetDateTime::now_utc().unix_timestamp();
        let response = self
            .client
            .post(&self.url)
            .header("content-type", "application/json")
            .header("X-Faceverify-Timestamp", timestamp.to_string())
            .header("X-Faceverify-Signature", sign(&self.secret, timestamp, body))
            .body(body.to_owned())
            .send()
            .await
            .map_err(|e| if e.is_timeout() { "timeout".to_owned() } else { "connection failed".to_owned() })?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(format!("status {}", response.status().as_u16()))
        }
    }

    /// Delivers the oldest events in order, stopping at the first that is not due or fails, so a receiver never
    /// sees a case decided before it saw it opened. Returns how many were delivered. Replicas on one database take
    /// turns by lease: only its holder delivers, renewing it before each event for longer than one delivery can
    /// take, so no event goes out twice (unless a holder dies between sending and recording it: at least once).
    pub async fn deliver_due(&self, store: &Store) -> Result<usize, crate::store::StoreError> {
        let mut conn = store.acquire().await?;
        let lease_ms = i64::try_from(self.settings.timeout_secs.saturating_mul(1000)).unwrap_or(i64::MAX / 4) + 10_000;
        if !leases::take(&mut conn, LEASE, &self.holder, now_ms(), lease_ms).await? {
            return Ok(0);
        }
        drop(conn);
        alerts::queue_new(store).await?;
        let mut conn = store.acquire().await?;
        let pending = outbox::oldest(&mut conn, self.settings.max_attempts).await?;
        let mut delivered = 0;
        for event in pending {
            if event.next_attempt_at > now_ms()
                || !leases::take(&mut conn, LEASE, &self.holder, now_ms(), lease_ms).await?
            {
                break;
            }
            match self.post(&event.payload).await {
                Ok(()) => {
                    outbox::delivered(&mut conn, event.id, now_ms()).await?;
                    delivered += 1;
                }
                Err(error) => {
                    let shift = u32::try_from(event.attempts.clamp(0, 16)).unwrap_or(16);
                    let backoff = self.settings.initial_backoff_ms.saturating_mul(1u64 << shift);
                    let next = now_ms() + i64::try_from(backoff).unwrap_or(i64::MAX / 2);
                    tracing::warn!(
                        outbox_id = event.id,
                        attempt = event.attempts + 1,
                        error,
                        "webhook delivery failed"
                    );
                    outbox::failed(&mut conn, event.id, next, &error).await?;
                    break;
                }
            }
        }
        Ok(delivered)
    }
}

fn now_ms() -> i64 {
    i64::try_from(time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000).unwrap_or(0)
}

/// Runs delivery in the background for the life of the process.
pub fn spawn(delivery: Delivery, store: Store) {
    tokio::spawn(async move {
        let interval = Duration::from_millis(delivery.settings.poll_interval_ms.max(10));
        loop {
            if let Err(e) = delivery.deliver_due(&store).await {
                tracing::warn!(error = %e, "webhook outbox unavailable");
            }
            tokio::time::sleep(interval).await;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_hmac_sha256_over_timestamp_and_body() {
        // RFC 4231 test case 2 key/data, framed as "timestamp.body" = "what do ya want for nothing?".
        let sig = sign(b"Jefe", 0, "what do ya want for nothing?");
        assert_ne!(sig, sign(b"Jefe", 1, "what do ya want for nothing?"));
        let mut mac = Hmac::<Sha256>::new_from_slice(b"Jefe").expect("key");
        mac.update(b"0.what do ya want for nothing?");
        assert_eq!(sig, format!("sha256={}", hex::encode(mac.finalize().into_bytes())));
    }
}
