//! Fetching a whole message when it is opened, and keeping it.

use async_imap::types::Fetch;

use super::{Engine, collect_until_error, drain};
use crate::error::{Error, Kind, Result};

impl Engine {
    /// The raw message `uid` of folder `folder` (server name): from the store when it was
    /// fetched before, else `UID FETCH uid BODY.PEEK[]` (which leaves `\Seen` alone), kept in
    /// the store and returned. The folder must have been synced (its UIDVALIDITY known).
    pub async fn fetch_body(&mut self, folder: &str, uid: u32) -> Result<Vec<u8>> {
        let f = self.stored_folder(folder).await?.ok_or_else(|| {
            Error::new(
                Kind::Config,
                format!("the folder \"{folder}\" is not in the mail store; sync the account first"),
            )
        })?;
        let uidvalidity = f.uidvalidity.ok_or_else(|| {
            Error::new(Kind::Config, format!("the folder \"{folder}\" has not been synced yet"))
        })?;
        let fid = f.id;
        if let Some(raw) = self.store.call(move |s| s.body(fid, uidvalidity, uid)).await? {
            return Ok(raw);
        }
        let sel = self.select(folder, false).await?;
        if sel.uidvalidity != uidvalidity {
            return Err(Error::new(
                Kind::Protocol,
                format!(
                    "the folder \"{folder}\" was recreated on the server (new UIDVALIDITY); sync it again"
                ),
            ));
        }
        let conn = self.conn().await?;
        let (bodies, failure) = match conn.session.uid_fetch(uid.to_string(), "(UID BODY.PEEK[])").await {
            Ok(stream) => {
                collect_until_error(stream, |f: Fetch| {
                    f.body().filter(|_| f.uid == Some(uid)).map(<[u8]>::to_vec)
                })
                .await
            }
            Err(e) => (Vec::new(), Some(e)),
        };
        drain(conn);
        if let Some(e) = failure {
            return Err(self.imap_error("fetch the message", e));
        }
        let raw = bodies.into_iter().next().ok_or_else(|| {
            Error::new(
                Kind::RefusedByServer,
                format!("message {uid} is no longer in \"{folder}\" on {}", self.ep.host),
            )
            .with_server(self.transcript.last_server_line().unwrap_or_default())
        })?;
        let keep = raw.clone();
        self.store.call(move |s| s.save_body(fid, uidvalidity, uid, &keep)).await?;
        Ok(raw)
    }
}
