//! LIST and LSUB: the folder tree, SPECIAL-USE roles, subscriptions.

use std::collections::HashSet;

use async_imap::types::NameAttribute;

use super::{Engine, collect_until_error, drain};
use crate::error::Result;
use crate::store::{FolderInfo, Role};

impl Engine {
    pub(super) async fn list_folders(&mut self) -> Result<Vec<FolderInfo>> {
        let conn = self.conn().await?;
        let listed = match conn.session.list(Some(""), Some("*")).await {
            Ok(stream) => {
                collect_until_error(stream, |n| {
                    let attrs = n.attributes();
                    Some((
                        n.name().to_string(),
                        n.delimiter().map(str::to_string),
                        role_of(attrs),
                        selectable(attrs),
                    ))
                })
                .await
            }
            Err(e) => (Vec::new(), Some(e)),
        };
        drain(conn);
        if let (_, Some(e)) = listed {
            return Err(self.imap_error("list the folders", e));
        }
        let subscribed = match conn_lsub(self).await {
            Ok(s) => s,
            Err(e) => return Err(self.imap_error("list the subscribed folders", e)),
        };
        let mut infos: Vec<FolderInfo> = listed
            .0
            .into_iter()
            .map(|(name, delimiter, role, selectable)| {
                let inbox = name.eq_ignore_ascii_case("INBOX");
                FolderInfo {
                    role: if inbox { Some(Role::Inbox) } else { role },
                    subscribed: subscribed.contains(&name) || inbox,
                    name,
                    delimiter,
                    selectable,
                }
            })
            .collect();
        guess_roles(&mut infos);
        Ok(infos)
    }
}

async fn conn_lsub(engine: &mut Engine) -> std::result::Result<HashSet<String>, async_imap::error::Error> {
    let Some(conn) = engine.conn.as_mut() else { return Ok(HashSet::new()) };
    let r = match conn.session.lsub(Some(""), Some("*")).await {
        Ok(stream) => collect_until_error(stream, |n| Some(n.name().to_string())).await,
        Err(e) => (Vec::new(), Some(e)),
    };
    drain(conn);
    match r {
        (names, None) => Ok(names.into_iter().collect()),
        (_, Some(e)) => Err(e),
    }
}

fn role_of(attrs: &[NameAttribute<'_>]) -> Option<Role> {
    attrs.iter().find_map(|a| match a {
        NameAttribute::Sent => Some(Role::Sent),
        NameAttribute::Drafts => Some(Role::Drafts),
        NameAttribute::Trash => Some(Role::Trash),
        NameAttribute::Junk => Some(Role::Junk),
        NameAttribute::Archive => Some(Role::Archive),
        _ => None,
    })
}

fn selectable(attrs: &[NameAttribute<'_>]) -> bool {
    !attrs.iter().any(|a| match a {
        NameAttribute::NoSelect => true,
        NameAttribute::Extension(x) => x.eq_ignore_ascii_case("\\NonExistent"),
        _ => false,
    })
}

/// Servers without SPECIAL-USE: the usual names, for roles no folder has yet.
fn guess_roles(infos: &mut [FolderInfo]) {
    const NAMES: &[(Role, &[&str])] = &[
        (Role::Sent, &["sent", "sent items", "sent mail", "sent messages"]),
        (Role::Drafts, &["drafts", "draft"]),
        (Role::Trash, &["trash", "deleted items", "deleted messages", "bin"]),
        (Role::Junk, &["junk", "spam", "junk e-mail", "junk email", "bulk mail"]),
        (Role::Archive, &["archive", "archives"]),
    ];
    for (role, names) in NAMES {
        if infos.iter().any(|f| f.role == Some(*role)) {
            continue;
        }
        let found = infos.iter_mut().find(|f| {
            let leaf = match f.delimiter.as_deref() {
                Some(d) if !d.is_empty() => f.name.rsplit(d).next().unwrap_or(&f.name),
                _ => f.name.as_str(),
            };
            f.role.is_none() && f.selectable && names.contains(&leaf.to_lowercase().as_str())
        });
        if let Some(f) = found {
            f.role = Some(*role);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(name: &str, role: Option<Role>) -> FolderInfo {
        FolderInfo {
            name: name.into(),
            delimiter: Some(".".into()),
            role,
            subscribed: false,
            selectable: true,
        }
    }

    #[test]
    fn roles_are_guessed_only_where_special_use_is_silent() {
        let mut v = vec![
            info("INBOX.Sent Items", None),
            info("INBOX.Spam", None),
            info("Trash", None),
            info("Papierkorb", Some(Role::Trash)),
        ];
        guess_roles(&mut v);
        let roles: Vec<Option<Role>> = v.iter().map(|f| f.role).collect();
        assert_eq!(roles, [Some(Role::Sent), Some(Role::Junk), None, Some(Role::Trash)]);
    }
}
