import BreakglassCore
import Foundation

/// Everything that can happen to the console. The main loop turns keys, resizes, the clock and
/// background results into these, one stream, in order.
public enum ConsoleEvent: Hashable, Sendable {
    case key(Key)
    case resize(width: Int, height: Int)
    /// Time passed; due refreshes start and a refresh past its timeout is abandoned. Sent at least once
    /// a second.
    case tick
    case alarmsLoaded([Alarm])
    /// A refresh failed; the message is shown (sanitized) in the status line.
    case alarmsFailed(String)
    /// The newest page id when the console started: pages after it are shown.
    case pagesStarted(after: Int64)
    /// Console pages written since the last poll, oldest first (possibly none).
    case pagesArrived([ConsolePage])
    /// A page poll (or finding the starting point) failed.
    case pagesFailed(String)
    /// The acknowledgement asked for with `a` is written.
    case acknowledged(incident: Int64, by: String)
    case acknowledgeFailed(incident: Int64, message: String)
    /// Results for one screen, from the work its effects started.
    case alarmsView(AlarmsViewEvent)
    case incidents(IncidentsEvent)
    case runbook(RunbookViewEvent)
    case access(AccessEvent)
    case audit(AuditEvent)
}

/// What the loop must do after an event. The reducer only asks; the loop does it.
public enum ConsoleEffect: Hashable, Sendable {
    /// Fetch alarms in the background and report back with `alarmsLoaded` or `alarmsFailed`.
    case startRefresh
    /// Abandon the running refresh: cancel it and drop its result if it still arrives.
    case cancelRefresh
    case quit
    /// An alarm went into ALARM since the last refresh, or someone was paged.
    case bell
    /// Find the newest page id in the background; report with `pagesStarted` or `pagesFailed`.
    case startPages
    /// Read console pages after `after` in the background; report with `pagesArrived` or `pagesFailed`.
    case pollPages(after: Int64)
    /// Acknowledge `incident` in the background as the person at the console; report with
    /// `acknowledged` or `acknowledgeFailed`.
    case acknowledge(incident: Int64)
    /// Repaint the whole screen on the next draw.
    case redraw
    /// Work for one screen, run by the loop off its thread (each screen's file says how).
    case alarmsView(AlarmsViewEffect)
    case incidents(IncidentsEffect)
    case runbook(RunbookViewEffect)
    case access(AccessEffect)
    case audit(AuditEffect)
}

/// Applies `event` to `state`. Pure: time comes in as `now`, work goes out as effects.
public func reduce(_ state: inout ConsoleState, _ event: ConsoleEvent, now: Date) -> [ConsoleEffect] {
    switch event {
    case .tick:
        return state.tickRefresh(now: now) + state.tickPages(now: now) + state.alarmsViewTick(now: now)
            + state.incidentsTick(now: now) + state.runbookTick(now: now) + state.accessTick(now: now) + state.auditTick(now: now)
    case .resize(let width, let height):
        state.size = TerminalSize(width: max(0, width), height: max(0, height))
        state.keepSelectionVisible()
        return []
    case .key(let key):
        return state.press(key, now: now)
    case .alarmsLoaded(let alarms):
        return state.load(alarms, now: now)
    case .alarmsFailed(let message):
        state.fail(message, now: now)
        return []
    case .pagesStarted(let after):
        state.pagesStarted(after: after, now: now)
        return []
    case .pagesArrived(let pages):
        return state.receive(pages, now: now)
    case .pagesFailed(let message):
        state.pagesFailed(message, now: now)
        return []
    case .acknowledged(let incident, let by):
        state.acknowledged(incident: incident, by: by)
        return []
    case .acknowledgeFailed(let incident, let message):
        state.acknowledgeFailed(incident: incident, message: message)
        return []
    case .alarmsView(let event): return state.alarmsViewReduce(event, now: now)
    case .incidents(let event): return state.incidentsReduce(event, now: now)
    case .runbook(let event): return state.runbookReduce(event, now: now)
    case .access(let event): return state.accessReduce(event, now: now)
    case .audit(let event): return state.auditReduce(event, now: now)
    }
}

extension ConsoleState {
    /// Abandons a refresh past its timeout, or starts one when due.
    mutating func tickRefresh(now: Date) -> [ConsoleEffect] {
        if refreshInFlight, let started = refreshStartedAt, now.timeIntervalSince(started) >= refreshTimeout {
            fail("no answer after \(CompactDuration.format(refreshTimeout))", now: now)
            return [.cancelRefresh]
        }
        guard !refreshInFlight, now >= nextRefreshAt else { return [] }
        return startRefresh(now: now)
    }

    /// Starts a refresh unless one is running (the overlap guard).
    mutating func startRefresh(now: Date) -> [ConsoleEffect] {
        guard !refreshInFlight else { return [] }
        refreshInFlight = true
        refreshStartedAt = now
        if refresh == .neverLoaded { refresh = .loading }
        return [.startRefresh]
    }

}

// MARK: Keys

extension ConsoleState {
    /// A key: the overlay takes it when one is open, then the screen's text field, then the keymap
    /// (the screen's own keys, the list keys, the global ones).
    mutating func press(_ key: Key, now: Date) -> [ConsoleEffect] {
        message = nil
        if let overlay { return overlayKey(key, overlay, now: now) }
        if layout.isTooSmall {
            // Only what works without seeing the screen: nobody acknowledges or confirms what they
            // cannot read.
            switch keymap.action(for: key, view: view, guided: guided) {
            case .quit: return [.quit]
            case .redraw: return [.redraw]
            case .refresh: return startRefresh(now: now)
            default: return []
            }
        }
        if guided {
            if let effects = guidedKey(key, now: now) { return effects }
            guard let action = keymap.action(for: key, view: view, guided: true) else { return [] }
            switch action {
            case .quit: return [.quit]
            case .redraw: return [.redraw]
            case .help:
                overlay = .help(offset: 0)
                return []
            case .back:
                _ = guidedBack()
                return []
            default:
                return guidedPerform(action, now: now) ?? []
            }
        }
        if let effects = screenKey(key, now: now) { return effects }
        guard let action = keymap.action(for: key, view: view) else { return [] }
        return perform(action, now: now)
    }

    mutating func perform(_ action: ConsoleAction, now: Date) -> [ConsoleEffect] {
        switch action {
        case .quit: return [.quit]
        case .redraw: return [.redraw]
        case .help:
            overlay = .help(offset: 0)
            return []
        case .commandLine:
            overlay = .command(CommandLineState())
            return []
        case .showAlarms: show(.alarms); return []
        case .showIncidents: show(.incidents); return []
        case .showRunbook: show(.runbook); return []
        case .showAccess: show(.access); return []
        case .showAudit: show(.audit); return []
        case .back:
            back()
            return []
        case .refresh:
            return (screenPerform(.refresh, now: now) ?? []) + startRefresh(now: now)
        default:
            break
        }
        if let effects = screenPerform(action, now: now) { return effects }
        switch action {
        case .acknowledge: return acknowledgeShown()
        case .nextPane: show(ConsoleView.allCases[(ConsoleView.allCases.firstIndex(of: view)! + 1) % ConsoleView.allCases.count])
        case .previousPane:
            let count = ConsoleView.allCases.count
            show(ConsoleView.allCases[(ConsoleView.allCases.firstIndex(of: view)! + count - 1) % count])
        default: break
        }
        return []
    }

    /// Shows `target`, remembering the screen left so Esc can go back to it.
    mutating func show(_ target: ConsoleView) {
        overlay = nil
        guard target != view else { return }
        if !guided {
            history.removeAll { $0 == view }
            history.append(view)
            if history.count > 10 { history.removeFirst() }
        }
        view = target
        keepSelectionVisible()
    }

    /// Esc: the screen's inner level first, then the banner, then the screen before this one.
    mutating func back() {
        if screenBack() { return }
        if banner != nil {
            dismissBanner()
            return
        }
        if let previous = history.popLast() {
            view = previous
            keepSelectionVisible()
        }
    }

    /// What can be done now, for the footer's hints.
    public var availableActions: Set<ConsoleAction> {
        if guided { return guidedAvailable.union(overlay == nil ? [] : [.back]) }
        var actions: Set<ConsoleAction> = []
        switch view {
        case .alarms: actions = alarmsViewAvailable
        case .incidents: actions = incidentsAvailable
        case .runbook: actions = runbookAvailable
        case .access: actions = accessAvailable
        case .audit: actions = auditAvailable
        }
        if case .notice(let notice, _) = banner, notice.canAcknowledge { actions.insert(.acknowledge) }
        if banner != nil || !history.isEmpty { actions.insert(.back) }
        return actions
    }

    /// Whether Esc closes something inside the screen (a detail, a prompt) rather than the banner
    /// or the screen: the screen lists `.back` among its available actions.
    var screenHasInnerLevel: Bool {
        switch view {
        case .alarms: alarmsViewAvailable.contains(.back)
        case .incidents: incidentsAvailable.contains(.back)
        case .runbook: runbookAvailable.contains(.back)
        case .access: accessAvailable.contains(.back)
        case .audit: auditAvailable.contains(.back)
        }
    }

    private mutating func screenKey(_ key: Key, now: Date) -> [ConsoleEffect]? {
        switch view {
        case .alarms: alarmsViewKey(key, now: now)
        case .incidents: incidentsKey(key, now: now)
        case .runbook: runbookKey(key, now: now)
        case .access: accessKey(key, now: now)
        case .audit: auditKey(key, now: now)
        }
    }

    private mutating func screenPerform(_ action: ConsoleAction, now: Date) -> [ConsoleEffect]? {
        switch view {
        case .alarms: alarmsViewPerform(action, now: now)
        case .incidents: incidentsPerform(action, now: now)
        case .runbook: runbookPerform(action, now: now)
        case .access: accessPerform(action, now: now)
        case .audit: auditPerform(action, now: now)
        }
    }

    private mutating func screenBack() -> Bool {
        switch view {
        case .alarms: alarmsViewBack()
        case .incidents: incidentsBack()
        case .runbook: runbookBack()
        case .access: accessBack()
        case .audit: auditBack()
        }
    }

    // MARK: Overlays

    private mutating func overlayKey(_ key: Key, _ open: ConsoleOverlay, now: Date) -> [ConsoleEffect] {
        switch open {
        case .help(let offset):
            switch key {
            case .down, .char("j"): overlay = .help(offset: offset + 1)
            case .up, .char("k"): overlay = .help(offset: max(0, offset - 1))
            case .pageDown, .char(" "): overlay = .help(offset: offset + max(1, size.height - 6))
            case .pageUp: overlay = .help(offset: max(0, offset - max(1, size.height - 6)))
            default:
                if keymap.action(for: key, view: view, guided: guided) == .quit { return [.quit] }
                // Esc, ? or any other key closes help.
                overlay = nil
            }
            return []
        case .tour(let page):
            return tourKey(key, page: page)
        case .command(var line):
            switch line.edit(key, candidates: commandCandidates) {
            case .editing:
                overlay = .command(line)
                return []
            case .cancelled:
                overlay = nil
                return []
            case .submitted(let text):
                overlay = nil
                return runCommand(text, now: now)
            }
        }
    }

    /// Everything `:` can complete: the commands, and `runbook NAME` for each runbook known.
    var commandCandidates: [String] {
        ConsoleCommandName.allCases.map(\.rawValue) + runbook.catalog.map { "runbook " + $0 }
    }

    mutating func runCommand(_ text: String, now: Date) -> [ConsoleEffect] {
        switch ConsoleCommandName.parse(text, runbooks: runbook.catalog) {
        case .failure(let problem):
            message = ConsoleMessage(problem.message, isError: true)
            return []
        case .success(let (command, argument)):
            switch command {
            case .alarms: show(.alarms)
            case .incidents: show(.incidents)
            case .access: show(.access)
            case .audit: show(.audit)
            case .help: overlay = .help(offset: 0)
            case .quit: return [.quit]
            case .runbook:
                if let argument { return openRunbook(argument, incident: nil, now: now) }
                show(.runbook)
            }
            return []
        }
    }
}
