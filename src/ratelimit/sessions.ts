// Sessions whose access tokens were ended early (logout-all, password change). A token is
// verified in the isolate, so the object keeps the session ids it must refuse, and only until
// the tokens would have expired anyway: after that the signature check refuses them alone.

export class RevokedSessions {
  /** The rows, held in memory: every authenticated request asks, and only revocations write. */
  private readonly until = new Map<string, number>();

  constructor(private readonly sql: SqlStorage) {
    for (const row of sql.exec<{ sid: string; until: number }>(
      "SELECT sid, until FROM revoked_sessions",
    )) {
      this.until.set(row.sid, row.until);
    }
  }

  /** Refused from now until `until`; a later `until` from another revocation wins. */
  revoke(sessionIds: readonly string[], until: number): void {
    for (const sid of sessionIds) {
      this.until.set(sid, Math.max(this.until.get(sid) ?? until, until));
      this.sql.exec(
        "INSERT INTO revoked_sessions (sid, until) VALUES (?, ?) ON CONFLICT (sid) DO UPDATE SET until = max(until, excluded.until)",
        sid,
        until,
      );
    }
  }

  isRevoked(sid: string, now: number): boolean {
    const until = this.until.get(sid);
    return until !== undefined && until >= now;
  }

  /** Forgets sessions whose tokens have expired by now: nothing could present them. */
  prune(now: number): void {
    for (const [sid, until] of this.until) if (until < now) this.until.delete(sid);
    this.sql.exec("DELETE FROM revoked_sessions WHERE until < ?", now);
  }
}
