"""From drawn stories (``history.draw_lifecycle``) to rows: appeals, clocks, transfers, timeline
events, ratings and landing proofs, as the services would have left them at ``end``.

Pure numpy, no Django. Conventions of ``History`` columns: times are UTC epoch seconds (NaN for
none), foreign keys to rows made here are 0-based indices into their table (-1 for none; the
writer adds the table's id offset, see ``LOCAL_REFS``), foreign keys to existing rows (grid,
category, person, department) are real ids (-1 for none).
"""

from __future__ import annotations

import base64
from datetime import date
from zoneinfo import ZoneInfo

import numpy as np

from lastmeter.demo.history import (
    PHRASES,
    SURNAMES,
    ClockRule,
    History,
    Jurisdiction,
    Lifecycle,
    draw_assignees,
    draw_channels,
    draw_lifecycle,
    draw_places,
    draw_received,
    draw_scores,
    local_midnights,
    per_category_due,
    previous_duplicate,
)

# (table, column) → the table whose 0-based row index the column holds.
LOCAL_REFS = {
    ("appeals", "merged_into_id"): "appeals",
    ("clocks", "appeal_id"): "appeals",
    ("clocks", "transfer_id"): "transfers",
    ("transfers", "appeal_id"): "appeals",
    ("events", "appeal_id"): "appeals",
    ("ratings", "appeal_id"): "appeals",
    ("landings", "appeal_id"): "appeals",
}


class Rows:
    """Columns collected in parts and concatenated once (scalars are broadcast to the part)."""

    def __init__(self) -> None:
        self.parts: list[dict[str, np.ndarray]] = []

    def add(self, size: int, **columns) -> None:
        if size:
            self.parts.append({k: np.broadcast_to(np.asarray(v), (size,)) for k, v in columns.items()})

    def columns(self) -> dict[str, np.ndarray]:
        if not self.parts:
            return {}
        return {k: np.concatenate([p[k] for p in self.parts]) for k in self.parts[0]}


def clock_states(
    start: np.ndarray, due: np.ndarray, stop: np.ndarray, cancel: np.ndarray, end: float, warn_fraction: float
) -> dict[str, np.ndarray]:
    """State and stamps of clocks at ``end``, as ``appeals.clocks`` and its sweeper leave them:
    met (stopped by the deadline), breached at the deadline and then met late or cancelled,
    cancelled, still running, or breached and not yet stopped."""
    stopped = stop <= end
    until = np.where(stopped, stop, end)
    breached = (due <= end) & (~stopped | (stop > due))
    state = np.where(
        stopped,
        np.where(cancel, "cancelled", np.where(stop <= due, "met", "met_late")),
        np.where(breached, "breached", "running"),
    )
    warn = start + (due - start) * warn_fraction
    return {
        "state": state,
        "warn_at": warn,
        "warned_at": np.where(warn <= until, warn, np.nan),
        "breached_at": np.where(breached, due, np.nan),
        "met_at": np.where(stopped & ~cancel, stop, np.nan),
    }


def plan_history(
    j: Jurisdiction,
    n: int,
    *,
    first_day: date,
    days: int,
    end: float,
    seed: int,
    warn_fraction: float = 0.75,
) -> History:
    """``n`` appeals received over ``days`` local days from ``first_day`` and everything that
    happened to them up to ``end`` (UTC epoch seconds, after the last day). Deterministic."""
    tz = ZoneInfo(j.time_zone)
    rng = np.random.default_rng(seed)
    midnights = local_midnights(first_day, days + 400, tz)
    t0 = draw_received(rng, n, first_day, days, tz)
    grid, cat, lat, lon = draw_places(rng, j, n)
    channel = draw_channels(rng, n)
    assignee = draw_assignees(rng, j, grid)
    dept_index = {d.id: k for k, d in enumerate(j.departments)}
    cat_dept = np.array(
        [dept_index.get(c.department_id, -1) if c.department_id else -1 for c in j.categories]
    )
    police = cat_dept[cat] < 0
    life = draw_lifecycle(
        rng, t0, police, cat_dept[cat], previous_duplicate(grid, cat, t0), len(j.departments), midnights
    )
    return Builder(j, rng, life, end, first_day, days, tz, warn_fraction).build(
        grid=grid, cat=cat, lat=lat, lon=lon, channel=channel, assignee=assignee, midnights=midnights
    )


class Builder:
    """Turns the stories into the rows of each table (one instance per plan)."""

    def __init__(self, j, rng, life: Lifecycle, end, first_day, days, tz, warn_fraction) -> None:
        self.j, self.rng, self.life, self.end = j, rng, life, end
        self.first_day, self.days, self.tz, self.warn = first_day, days, tz, warn_fraction
        self.n = life.t0.size
        self.events = Rows()
        self.clocks = Rows()
        self.updated = life.t0.copy()  # the latest change of each appeal (Appeal.updated_at)

    def happened(self, t: np.ndarray) -> np.ndarray:
        return t <= self.end  # NaN (no such step) compares False

    def event(
        self, mask, at, kind, actor, *, label="", from_state="", to_state="", note="", data="{}", on=None
    ):
        """Timeline rows for the appeals in ``mask`` at ``at`` (arrays over all appeals, or
        scalars). ``on`` puts the rows on other appeals (a duplicate's survivor)."""
        idx = np.flatnonzero(mask)
        when = np.asarray(at)[idx]
        actors = np.asarray(actor)[idx] if np.ndim(actor) else np.full(idx.size, actor)
        if label:
            labels = np.full(idx.size, label, dtype=object)
            actors = np.full(idx.size, -1)
        else:
            labels = np.where(actors >= 0, self.names[np.searchsorted(self.person_ids, actors)], "system")
        target = idx if on is None else np.asarray(on)[idx]
        self.events.add(
            idx.size,
            appeal_id=target,
            at=when,
            kind=kind,
            actor_id=actors,
            actor_label=labels,
            channel=self.channel[idx] if kind == "created" else "",
            from_state=np.asarray(from_state)[idx] if np.ndim(from_state) else from_state,
            to_state=to_state,
            note=note,
            data=np.asarray(data)[idx] if np.ndim(data) else data,
        )
        np.maximum.at(self.updated, target, when)

    def build(self, *, grid, cat, lat, lon, channel, assignee, midnights) -> History:
        j, life = self.j, self.life
        n = self.n
        self.channel = channel
        self.assignee = assignee
        people = sorted(set(j.names) | {-1})
        self.person_ids = np.array(people)
        self.names = np.array([j.names.get(p, "system") for p in people], dtype=object)
        dept_liaison = np.array([d.liaison_id or -1 for d in j.departments] + [-1])
        liaison = dept_liaison[life.transfer_department]  # index -1 picks the trailing "none"

        self.event(np.ones(n, bool), life.t0, "created", -1, label="reporter")
        self.event(assignee >= 0, life.t0, "assigned", -1, label="system")
        states = self.state_events(liaison)
        transfer_of, transfers = self.transfers(liaison, assignee)
        clocks = self.all_clocks(cat, transfer_of)
        escalation = self.breaches(clocks, grid)
        ratings = self.ratings(clocks)
        landings = self.landings(lat, lon)
        self.event(self.happened(life.t_merge), life.t_merge, "duplicate", assignee, on=life.merged_into)
        appeals = self.appeal_rows(states, clocks, escalation, grid, cat, lat, lon, channel, midnights)
        events = self.events.columns()
        order = np.lexsort((events["appeal_id"], events["at"]))
        return History(
            n=n,
            end=self.end,
            appeals=appeals,
            clocks=clocks,
            transfers=transfers,
            events={k: v[order] for k, v in events.items()},
            ratings=ratings,
            landings=landings,
        )

    # -- state moves ---------------------------------------------------------------------------

    def state_events(self, liaison: np.ndarray) -> dict[str, np.ndarray]:
        life, a = self.life, self.assignee
        none = np.full(self.n, -1)
        slots = [
            (np.where(~life.police, life.t0, np.nan), "transferred", none, "该类别由对口部门办理"),
            (life.t_merge, "merged", a, ""),
            (life.t_close, "closed", a, "重复反映或信息不全，已电话说明"),
            (life.t_ack, "acknowledged", a, ""),
            (
                np.where(life.police_transfer, life.t_transfer, np.nan),
                "transferred",
                a,
                "不属于公安职责，转交部门",
            ),
            (np.where(life.returned, np.nan, life.t_decide), "accepted", liaison, ""),
            (np.where(life.returned, life.t_decide, np.nan), "returned", liaison, "不属于本部门职责"),
            (life.t_complete, "resolved", liaison, "部门已处理完毕"),
            (life.t_ack2, "acknowledged", a, ""),
            (life.t_contact, "contacted", a, "已电话联系报警人"),
            (life.t_land, "landed", a, ""),
            (life.t_resolve, "resolved", a, "民警已到场处置，并向报警人反馈"),
            (life.t_contest, "reopened", none, "问题没有解决"),
            (life.t_reland, "landed", a, ""),
            (life.t_reresolve, "resolved", a, "再次到场处置完毕"),
            (life.t_rate, "closed", none, "rated by the reporter"),
        ]
        state = np.full(self.n, "received", dtype="<U12")
        changed = life.t0.copy()
        for t, to_state, actor, note in slots:
            mask = self.happened(t)
            by_reporter = to_state == "reopened" or (to_state == "closed" and note.startswith("rated"))
            self.event(
                mask,
                t,
                "state",
                actor,
                label="reporter" if by_reporter else "",
                from_state=state.copy(),
                to_state=to_state,
                note=note,
            )
            state[mask] = to_state
            changed[mask] = t[mask]
        returned = self.happened(np.where(life.returned, life.t_decide, np.nan))
        self.event(returned, life.t_decide, "transfer", liaison, note="returned: 不属于本部门职责")
        return {"state": state, "state_changed_at": changed}

    # -- transfers and clocks ------------------------------------------------------------------

    def transfers(self, liaison, assignee) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        life = self.life
        made = self.happened(life.t_transfer)
        idx = np.flatnonzero(made)
        transfer_of = np.full(self.n, -1)
        transfer_of[idx] = np.arange(idx.size)
        decided = self.happened(life.t_decide)[idx]
        completed = self.happened(life.t_complete)[idx]
        returned = life.returned[idx]
        state = np.where(
            ~decided, "pending", np.where(returned, "returned", np.where(completed, "completed", "accepted"))
        )
        dept_ids = np.array([d.id for d in self.j.departments] + [-1])
        rows = {
            "id": np.arange(idx.size),
            "appeal_id": idx,
            "department_id": dept_ids[life.transfer_department[idx]],
            "state": state,
            "note": np.where(life.police_transfer[idx], "不属于公安职责，转交部门", "该类别由对口部门办理"),
            "reason": np.where(decided & returned, "不属于本部门职责", ""),
            "outcome": np.where(completed, "部门已处理完毕", ""),
            "created_by_id": np.where(life.police_transfer[idx], assignee[idx], -1),
            "decided_by_id": np.where(decided, liaison[idx], -1),
            "created_at": life.t_transfer[idx],
            "decided_at": np.where(decided, life.t_decide[idx], np.nan),
            "completed_at": np.where(completed, life.t_complete[idx], np.nan),
        }
        return transfer_of, rows

    def add_clocks(self, kind, appeals, start, stop, cancel, rules: list[ClockRule], rule_index, transfer=-1):
        """Clocks of one kind on ``appeals`` (indices) that have started by ``end``."""
        keep = self.happened(start)
        appeals, start, stop, cancel, rule_index = (
            x[keep] for x in (appeals, start, stop, cancel, rule_index)
        )
        transfer = np.asarray(transfer)[keep] if np.ndim(transfer) else transfer
        due = per_category_due(rules, rule_index, start, self.tz, self.first_day, self.days + 400)
        amount = np.array([r.amount for r in rules])[rule_index]
        unit = np.array([r.unit for r in rules])[rule_index]
        pause = np.array([r.pause for r in rules])[rule_index]
        stamps = clock_states(start, due, stop, cancel, self.end, self.warn)
        self.clocks.add(
            appeals.size,
            appeal_id=appeals,
            transfer_id=transfer,
            kind=kind,
            unit=unit,
            amount=amount,
            pause_while_waiting=pause,
            started_at=start,
            due_at=due,
            paused_at=np.nan,
            remaining_s=np.nan,
            escalated_to_id=-1,
            **stamps,
        )

    def all_clocks(self, cat, transfer_of) -> dict[str, np.ndarray]:
        life, j = self.life, self.j
        cats = j.categories
        contact_rules = [c.contact for c in cats]
        land_rules = [c.land for c in cats]
        # The police clocks from receipt: met by contact (or landing), cancelled by a merge, a
        # close or a transfer after acknowledgement.
        p = np.flatnonzero(life.police)
        first_path = life.police_path[p] & ~life.returned[p]
        cancel_at = np.fmin(
            np.fmin(life.t_merge[p], life.t_close[p]),
            np.where(life.police_transfer[p], life.t_transfer[p], np.nan),
        )
        contact_stop = np.where(first_path, np.fmin(life.t_contact[p], life.t_land[p]), cancel_at)
        land_stop = np.where(first_path, life.t_land[p], cancel_at)
        self.add_clocks("contact", p, life.t0[p], contact_stop, ~first_path, contact_rules, cat[p])
        self.add_clocks("land", p, life.t0[p], land_stop, ~first_path, land_rules, cat[p])
        # A return starts fresh police clocks.
        r = np.flatnonzero(life.returned)
        no = np.zeros(r.size, bool)
        contact_stop = np.fmin(life.t_contact[r], life.t_land[r])
        self.add_clocks("contact", r, life.t_decide[r], contact_stop, no, contact_rules, cat[r])
        self.add_clocks("land", r, life.t_decide[r], life.t_land[r], no, land_rules, cat[r])
        # A reopening starts a new landing clock.
        c = np.flatnonzero(~np.isnan(life.t_contest))
        self.add_clocks(
            "land", c, life.t_contest[c], life.t_reland[c], np.zeros(c.size, bool), land_rules, cat[c]
        )
        # The department's clocks: the category's policy if it has one, else the department's.
        t = np.flatnonzero(~np.isnan(life.t_transfer))
        for kind, own, dept_rules, start, stop in (
            (
                "transfer_accept",
                [c.accept for c in cats],
                [d.accept for d in j.departments],
                life.t_transfer,
                life.t_decide,
            ),
            (
                "transfer_outcome",
                [c.outcome for c in cats],
                [d.outcome for d in j.departments],
                life.t_decide,
                life.t_complete,
            ),
        ):
            has_own = np.array([r is not None for r in own])[cat[t]]
            rules = [r or ClockRule(1, "hours") for r in own] + dept_rules
            index = np.where(has_own, cat[t], len(own) + life.transfer_department[t])
            sel = t if kind == "transfer_accept" else t[~life.returned[t]]
            index = index if kind == "transfer_accept" else index[~life.returned[t]]
            self.add_clocks(
                kind, sel, start[sel], stop[sel], np.zeros(sel.size, bool), rules, index, transfer_of[sel]
            )
        columns = self.clocks.columns()
        columns["id"] = np.arange(columns["appeal_id"].size)
        return columns

    # -- breaches, ratings, landings -----------------------------------------------------------

    def breaches(self, clocks: dict[str, np.ndarray], grid: np.ndarray) -> np.ndarray:
        """The sweeper's work on every breached clock: a breach event at the deadline and, while
        the chain has someone above, an escalation one level up (the first breach of an
        appeal goes one level above the assignee, the next one level higher). Returns each
        appeal's escalation level."""
        b = np.flatnonzero(~np.isnan(clocks["breached_at"]))
        appeal, at = clocks["appeal_id"][b], clocks["breached_at"][b]
        order = np.lexsort((at, appeal))
        b, appeal, at = b[order], appeal[order], at[order]
        first = np.r_[True, appeal[1:] != appeal[:-1]] if b.size else np.zeros(0, bool)
        rank = np.arange(b.size) - np.maximum.accumulate(np.where(first, np.arange(b.size), 0))
        officer = np.array([g.officer_id or -1 for g in self.j.grids])[grid[appeal]]
        leader = self.j.leader_id or -1
        assignee = self.assignee[appeal]
        auxiliary = (assignee >= 0) & (assignee != officer) & (officer >= 0)
        level1 = np.where(auxiliary, officer, leader)
        level2 = np.where(auxiliary, leader, -1)
        target = np.where(rank == 0, level1, np.where(rank == 1, level2, -1))
        clocks["escalated_to_id"] = clocks["escalated_to_id"].copy()
        clocks["escalated_to_id"][b] = target
        kinds = clocks["kind"][b]
        self.events.add(
            b.size, appeal_id=appeal, at=at, kind="clock_breach", actor_id=-1, actor_label="system",
            channel="", from_state="", to_state="", note=kinds, data="{}",
        )  # fmt: skip
        up = target >= 0
        labels = np.where(up, self.names[np.searchsorted(self.person_ids, target)], "")
        self.events.add(
            int(up.sum()), appeal_id=appeal[up], at=at[up], kind="escalated", actor_id=-1,
            actor_label="system", channel="", from_state="", to_state="", note=labels[up], data="{}",
        )  # fmt: skip
        np.maximum.at(self.updated, appeal, at)
        return np.bincount(appeal[up], minlength=self.n)

    def ratings(self, clocks: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Contested resolutions, and the reporters' scores (one per resolution)."""
        life = self.life
        late = np.zeros(self.n, bool)
        slow = np.isin(clocks["kind"], ["land", "transfer_outcome"]) & np.isin(
            clocks["state"], ["met_late", "breached"]
        )
        late[clocks["appeal_id"][slow]] = True
        scores = draw_scores(self.rng, late)
        first = np.fmin(life.t_complete, life.t_resolve)
        last = np.where(np.isnan(life.t_reresolve), first, life.t_reresolve)
        c = np.flatnonzero(self.happened(life.t_contest))
        r = np.flatnonzero(self.happened(life.t_rate))
        thanks = np.where(scores[r] >= 4, "处理很及时，谢谢民警", "")
        self.event(self.happened(life.t_rate), life.t_rate, "rated", -1, label="reporter",
                   data=np.char.add(np.char.add('{"score": ', scores.astype(str)), "}"))  # fmt: skip
        return {
            "appeal_id": np.r_[c, r],
            "score": np.r_[np.full(c.size, -1), scores[r]],
            "comment": np.r_[np.full(c.size, "问题没有解决", dtype=object), thanks.astype(object)],
            "contested": np.r_[np.ones(c.size, bool), np.zeros(r.size, bool)],
            "resolved_at": np.r_[first[c], last[r]],
            "at": np.r_[life.t_contest[c], life.t_rate[r]],
        }

    def landings(self, lat: np.ndarray, lon: np.ndarray) -> dict[str, np.ndarray]:
        """A proof of presence for every landing: the officer's position a few tens of metres away."""
        life = self.life
        with_officer = self.assignee >= 0
        idx = np.r_[np.flatnonzero(self.happened(life.t_land) & with_officer),
                    np.flatnonzero(self.happened(life.t_reland) & with_officer)]  # fmt: skip
        at = np.r_[life.t_land, life.t_reland][np.r_[np.flatnonzero(self.happened(life.t_land) & with_officer),
                                                      self.n + np.flatnonzero(self.happened(life.t_reland) & with_officer)]]  # fmt: skip
        dlat = self.rng.normal(0, 0.0002, idx.size)
        dlon = self.rng.normal(0, 0.0002, idx.size)
        metres = np.hypot(dlat * 111_320, dlon * 111_320 * np.cos(np.radians(lat[idx])))
        return {
            "appeal_id": idx,
            "officer_id": self.assignee[idx],
            "lat": lat[idx] + dlat,
            "lon": lon[idx] + dlon,
            "accuracy_m": self.rng.uniform(5, 30, idx.size).round(1),
            "distance_m": metres.round(1),
            "at": at,
            "photo_id": np.full(idx.size, -1),
        }

    # -- the appeals themselves ----------------------------------------------------------------

    def appeal_rows(
        self, states, clocks, escalation, grid, cat, lat, lon, channel, midnights
    ) -> dict[str, np.ndarray]:
        life, j, rng, n = self.life, self.j, self.rng, self.n
        hap = self.happened
        state = states["state"]
        first = np.fmin(life.t_complete, life.t_resolve)
        last_resolution = np.where(
            hap(life.t_reresolve), life.t_reresolve, np.where(hap(first), first, np.nan)
        )
        resolved_at = np.where(np.isin(state, ["resolved", "closed"]), last_resolution, np.nan)
        closed_at = np.where(state == "closed", np.where(hap(life.t_rate), life.t_rate, life.t_close), np.nan)
        running = clocks["state"] == "running"
        next_deadline = np.full(n, np.nan)
        np.fmin.at(next_deadline, clocks["appeal_id"][running], clocks["due_at"][running])
        dept_ids = np.array([d.id for d in j.departments] + [-1])
        given_back = hap(np.where(life.returned, life.t_decide, np.nan))
        department = np.where(hap(life.t_transfer) & ~given_back, dept_ids[life.transfer_department], -1)
        day = np.searchsorted(midnights, life.t0, side="right") - 1
        day_labels = np.array(
            [(self.first_day.toordinal() + i) for i in range(int(day.max()) + 1 if n else 0)]
        )
        day_labels = np.array([date.fromordinal(int(d)).strftime("%Y%m%d") for d in day_labels])
        tokens = np.frombuffer(rng.bytes(18 * n), dtype=np.uint8).reshape(n, 18)
        names = np.array([c.name for c in j.categories], dtype=object)
        phrase = np.array(PHRASES, dtype=object)[rng.integers(0, len(PHRASES), n)]
        surname = np.array(list(SURNAMES), dtype=object)[rng.integers(0, len(SURNAMES), n)]
        title = np.where(rng.random(n) < 0.5, "先生", "女士").astype(object)
        phone = rng.integers(0, 100_000_000, n)
        columns = {
            "id": np.arange(n),
            "_local_day": day_labels[day] if n else np.array([], dtype="<U8"),
            "tracking_token": np.array(
                [base64.urlsafe_b64encode(t.tobytes()).decode() for t in tokens], dtype=object
            ),
            "channel": channel,
            "channel_ref": "{}",
            "reporter_name": surname + title,
            "reporter_phone": np.char.add("139", np.char.zfill(phone.astype(str), 8)),
            "reporter_phone_hash": "",  # the writer encrypts the two above and hashes the phone
            "personal_data_erased_at": np.full(n, np.nan),  # the retention job's, later
            "reporter_email": "",
            "reporter_person_id": -1,
            "filed_by_id": -1,
            "title": "",
            "text": names[cat] + "，" + phrase,
            "address": "",
            "lat": lat.round(6),
            "lon": lon.round(6),
            "location_confidence": 0.9,
            "category_id": np.array([c.id for c in j.categories])[cat],
            "grid_id": np.array([g.id for g in j.grids])[grid],
            "building_id": -1,
            "assignee_id": self.assignee,
            "department_id": department,
            "priority": np.array([c.priority for c in j.categories])[cat],
            "state": state,
            "state_changed_at": states["state_changed_at"],
            "merged_into_id": np.where(hap(life.t_merge), life.merged_into, -1),
            "waiting_for_reporter": False,
            "escalation_level": escalation,
            "resolution": np.where(np.isnan(resolved_at), "", "已处理并向报警人反馈"),
            "next_deadline_at": next_deadline,
            "created_at": life.t0,
            "updated_at": self.updated,
            # do_contact stamps it; a landing without a call first stamps it too (do_land).
            "contacted_at": np.where(
                hap(life.t_contact),
                life.t_contact,
                np.where(hap(life.t_land), life.t_land, np.where(hap(life.t_reland), life.t_reland, np.nan)),
            ),
            "landed_at": np.where(
                hap(life.t_reland), life.t_reland, np.where(hap(life.t_land), life.t_land, np.nan)
            ),
            "resolved_at": resolved_at,
            "closed_at": closed_at,
        }
        return {k: np.broadcast_to(np.asarray(v), (n,)) for k, v in columns.items()}


__all__ = ["LOCAL_REFS", "clock_states", "plan_history"]
