// Sessions whose access tokens were ended early (logout-all, password change). A token is
// verified in the isolate, so the object keeps the session ids it must refuse, and only until
// the tokens would have expired anyway: after that the signature check refuses them alone.

export class RevokedSessions {
  constructor(private readonly sql: SqlStorage) {}

  /** Refused from now until `until`; a later `until` from another revocation wins. */
  revoke(sessionIds: readonly string[], until: number): void {
    for (const sid of sessionIds) {
      this.sql.exec(
        "INSERT INTO revoked_sessions (sid, until) VALUES (?, ?) ON CONFLICT (sid) DO UPDATE SET until = max(until, excluded.until)",
        sid,
        until,
      );
    }
  }

  isRevoked(sid: string, now: number): boolean {
    return (
      this.sql
        .exec("SELECT 1 FROM revoked_sessions WHERE sid = ? AND until >= ?", sid, now)
        .toArray().length > 0
    );
  }

  /** Forgets sessions whose tokens have expired by now: nothing could present them. */
  prune(now: number): void {
    this.sql.exec("DELETE FROM revoked_sessions WHERE until < ?", now);
  }
}
