import BreakglassCore
import Foundation

// The alarms screen (issue 7): the live list with a `/` filter and `s` sort, the incident each alarm
// belongs to, and Enter's detail with the state reason and a sparkline of the alarm's metric.

/// The orders `s` cycles through.
public enum AlarmSort: String, Hashable, Sendable, CaseIterable {
    /// ALARM first, then INSUFFICIENT_DATA, then OK; the most recent change first within each.
    case triage
    case name
    /// Most recently changed state first, whatever the state.
    case recent
    /// By region, triage order within each.
    case region

    /// As the column header says it.
    public var label: String {
        switch self {
        case .triage: "triage"
        case .name: "name"
        case .recent: "last change"
        case .region: "region"
        }
    }

    public var next: AlarmSort {
        let all = Self.allCases
        return all[(all.firstIndex(of: self).map { $0 + 1 } ?? 0) % all.count]
    }
}

/// The alarms screen's own state. The rows shown are `rows`, indices into `ConsoleState.alarms`,
/// computed once per change (a load, a filter keystroke, a sort), never per frame; drawing reads only
/// the visible slice of them.
///
/// Invariants: `sorted` holds every index of `alarms` once, in `sort` order; `rows` is the part of
/// `sorted` that matches `filter`, in the same order; `selectedRow` is nil exactly when `rows` is
/// empty, and otherwise `rows[selectedRow] == ConsoleState.selectedIndex`; while `detail` is set it
/// names the selected alarm.
public struct AlarmsViewState: Sendable {
    public internal(set) var sort: AlarmSort = .triage
    /// What `/` filters by (case-insensitive substring of name, region, reason and state); empty: all.
    public internal(set) var filter = ""
    /// The filter's text field is open: keys type into it.
    public internal(set) var editingFilter = false
    public internal(set) var sorted: [Int] = []
    public internal(set) var rows: [Int] = []
    /// Position of the selection in `rows`.
    public internal(set) var selectedRow: Int?
    /// The alarm whose detail is open (Enter); nil shows the list.
    public internal(set) var detail: AlarmID?
    /// Metric data for the detail, per alarm: answers are kept for `metricMaxAge`, so reopening an
    /// alarm does not fetch again.
    public internal(set) var metrics: [AlarmID: MetricEntry] = [:]
    /// Each alarm's lowercased searchable text as bytes, by index into `alarms`: built when a filter is
    /// first applied to a loaded list, dropped with the filter or the next load.
    var haystacks: [[UInt8]] = []

    /// How long a metric answer is reused, and how often an open detail fetches again.
    public static let metricMaxAge: TimeInterval = 60
    /// The longest filter kept; more is ignored.
    public static let maximumFilterLength = 200

    public init() {}
}

/// What the detail knows of one alarm's metric.
public struct MetricEntry: Hashable, Sendable {
    /// The last answer; nil until one arrives.
    public var result: MetricResult?
    public var answeredAt: Date?
    /// When the running fetch started; nil when none runs.
    public var fetchStartedAt: Date?

    public init(result: MetricResult? = nil, answeredAt: Date? = nil, fetchStartedAt: Date? = nil) {
        self.result = result
        self.answeredAt = answeredAt
        self.fetchStartedAt = fetchStartedAt
    }
}

public enum MetricResult: Hashable, Sendable {
    case series(MetricQuery, MetricSeries)
    case failed(MetricFailure)
}

/// Why a metric could not be read, in AWS's terms when AWS said so.
public struct MetricFailure: Error, Hashable, Sendable, CustomStringConvertible {
    /// The AWS error code ("AccessDenied"); nil for failures on the way (no connection).
    public var code: String?
    public var message: String
    public var requestID: String?

    public init(code: String?, message: String, requestID: String?) {
        self.code = code
        self.message = message
        self.requestID = requestID
    }

    public var description: String {
        [code, message, requestID.map { "request id " + $0 }].compactMap { $0 }.joined(separator: ": ")
    }
}

public enum AlarmsViewEvent: Hashable, Sendable {
    case metricLoaded(AlarmID, MetricQuery, MetricSeries)
    case metricFailed(AlarmID, MetricFailure)
}

public enum AlarmsViewEffect: Hashable, Sendable {
    /// Read the metric for the alarm's detail in the background; report with `metricLoaded` or
    /// `metricFailed`.
    case fetchMetric(AlarmID, MetricQuery)
}

/// Where the alarm detail gets its metric's recent data points; runs off the loop. Throw a
/// `MetricFailure` to have the code, message and request id shown apart; any other error is shown
/// as `String(describing:)`.
public struct MetricSource: Sendable {
    public var fetch: @Sendable (MetricQuery) async throws -> MetricSeries

    public init(fetch: @escaping @Sendable (MetricQuery) async throws -> MetricSeries) {
        self.fetch = fetch
    }
}

// MARK: Keys and actions

extension ConsoleState {
    /// While the filter field is open it takes the keys: characters type (the list filters as they
    /// do), Backspace deletes, Ctrl-U clears, Enter keeps the filter and closes the field, Esc clears
    /// it and closes. The list's movement keys still move the selection.
    mutating func alarmsViewKey(_ key: Key, now: Date) -> [ConsoleEffect]? {
        guard alarmsView.editingFilter else { return nil }
        switch key {
        case .char(let c):
            if alarmsView.filter.count < AlarmsViewState.maximumFilterLength { setFilter(alarmsView.filter + String(c)) }
        case .backspace:
            if !alarmsView.filter.isEmpty { setFilter(String(alarmsView.filter.dropLast())) }
        case .ctrl("u"):
            setFilter("")
        case .enter:
            alarmsView.editingFilter = false
        case .escape:
            alarmsView.editingFilter = false
            setFilter("")
        case .up, .down, .pageUp, .pageDown, .home, .end, .ctrl("l"), .resize:
            return nil
        default:
            break
        }
        return []
    }

    mutating func alarmsViewPerform(_ action: ConsoleAction, now: Date) -> [ConsoleEffect]? {
        switch action {
        case .moveDown, .moveUp, .pageDown, .pageUp, .top, .bottom:
            guard let current = alarmsView.selectedRow else { return nil }
            selectRow(ScreenArea.moved(from: current, by: action, count: alarmsView.rows.count, page: layout.listHeight))
            // The open detail follows the selection.
            guard alarmsView.detail != nil, let alarm = selectedAlarm else { return [] }
            alarmsView.detail = AlarmID(alarm)
            return metricEffects(for: alarm, now: now, force: false)
        case .select:
            guard alarmsView.detail == nil else { return [] }
            guard let alarm = selectedAlarm else { return nil }
            alarmsView.detail = AlarmID(alarm)
            return metricEffects(for: alarm, now: now, force: false)
        case .filter:
            alarmsView.detail = nil
            alarmsView.editingFilter = true
            return []
        case .sort:
            alarmsView.sort = alarmsView.sort.next
            rebuildSorted()
            applyFilter(narrowing: false, keepPosition: false)
            return []
        case .refresh:
            // R in the detail also reads the metric again, cached or not.
            guard alarmsView.detail != nil, let alarm = selectedAlarm else { return nil }
            return metricEffects(for: alarm, now: now, force: true)
        case .openRunbook:
            return openSuggestedRunbook(now: now)
        default:
            return nil
        }
    }

    /// `r`: the first runbook of the incident the selected alarm belongs to, or a line saying why
    /// there is none.
    mutating func openSuggestedRunbook(now: Date) -> [ConsoleEffect] {
        guard let alarm = selectedAlarm else {
            message = ConsoleMessage("No alarm is selected, so no runbook is suggested.")
            return []
        }
        let incident = incidents.incident(forAlarm: AlarmID(alarm))
        if let incident, let runbook = incident.runbooks.first {
            return openRunbook(runbook, incident: incident.id, now: now)
        }
        let why =
            incident.map { "incident #\($0.id)'s response rule names none" } ?? "it belongs to no open incident"
        message = ConsoleMessage("No runbook is suggested for \(alarm.name): \(why). Open one with :runbook NAME.")
        return []
    }

    mutating func alarmsViewReduce(_ event: AlarmsViewEvent, now: Date) -> [ConsoleEffect] {
        switch event {
        case .metricLoaded(let id, let query, let series):
            alarmsView.metrics[id] = MetricEntry(result: .series(query, series), answeredAt: now)
        case .metricFailed(let id, let failure):
            alarmsView.metrics[id] = MetricEntry(result: .failed(failure), answeredAt: now)
        }
        return []
    }

    /// While the detail shows, its metric is read again once its answer is a minute old.
    mutating func alarmsViewTick(now: Date) -> [ConsoleEffect] {
        guard view == .alarms, alarmsView.detail != nil, let alarm = selectedAlarm else { return [] }
        return metricEffects(for: alarm, now: now, force: false)
    }

    /// Esc: closes the detail, else clears the filter; false when neither is open.
    mutating func alarmsViewBack() -> Bool {
        if alarmsView.detail != nil {
            alarmsView.detail = nil
            return true
        }
        if !alarmsView.filter.isEmpty {
            setFilter("")
            return true
        }
        return false
    }

    var alarmsViewAvailable: Set<ConsoleAction> {
        var actions: Set<ConsoleAction> = []
        if alarmsView.detail != nil || !alarmsView.filter.isEmpty || alarmsView.editingFilter { actions.insert(.back) }
        guard let alarm = selectedAlarm else { return actions }
        if alarmsView.detail == nil { actions.insert(.select) }
        if let incident = incidents.incident(forAlarm: AlarmID(alarm)), !incident.runbooks.isEmpty { actions.insert(.openRunbook) }
        return actions
    }

    /// The fetch the detail of `alarm` needs now: none for an alarm without a single metric, none
    /// while one runs (unless it has hung for a minute), none while the last answer is under a minute
    /// old unless `force`. Forgets other alarms' answers once they are too old to reuse.
    mutating func metricEffects(for alarm: Alarm, now: Date, force: Bool) -> [ConsoleEffect] {
        guard let query = MetricQuery.recent(for: alarm, now: now) else { return [] }
        let id = AlarmID(alarm)
        let maxAge = AlarmsViewState.metricMaxAge
        var entry = alarmsView.metrics[id] ?? MetricEntry()
        if let started = entry.fetchStartedAt, now.timeIntervalSince(started) < maxAge { return [] }
        if !force, entry.fetchStartedAt == nil, let answered = entry.answeredAt, now.timeIntervalSince(answered) < maxAge { return [] }
        alarmsView.metrics = alarmsView.metrics.filter { key, value in
            key == id || value.fetchStartedAt != nil || value.answeredAt.map { now.timeIntervalSince($0) < maxAge } == true
        }
        entry.fetchStartedAt = now
        alarmsView.metrics[id] = entry
        return [.alarmsView(.fetchMetric(id, query))]
    }
}

// MARK: Rows, filter and selection

extension ConsoleState {
    /// Replaces the list, keeping the selection on the same alarm (by name and region) when it is still
    /// shown, else at the same position. The filter and sort stay; an open detail whose alarm is gone
    /// closes.
    mutating func load(_ loaded: [Alarm], now: Date) -> [ConsoleEffect] {
        let wasLoaded = refresh.lastLoaded != nil
        var previouslyAlarming = Set<AlarmID>()
        if wasLoaded {
            for alarm in alarms where alarm.state == .alarm { previouslyAlarming.insert(AlarmID(alarm)) }
        }
        // The old list, and what was derived from it, go before the answer is sorted: applying a
        // refresh holds the answer and its sorted copy (which share their strings), not the old
        // list beside them.
        alarms = []
        alarmsView.haystacks = []
        alarmsView.sorted = []
        alarmsView.rows = []
        alarms = Self.triageSorted(loaded)
        counts = AlarmCounts(alarms)
        widestName = alarms.reduce(0) { max($0, TerminalText.width(TerminalText.sanitize($1.name))) }

        rebuildSorted()
        applyFilter(narrowing: false, keepPosition: true)
        if let detail = alarmsView.detail, selectedIndex == nil || selectedID != detail {
            alarmsView.detail = nil
            message = ConsoleMessage("\(detail.name) (\(detail.region)) is no longer listed; its detail closed.")
        }

        refresh = .loaded(at: now)
        refreshInFlight = false
        refreshStartedAt = nil
        consecutiveFailures = 0
        nextRefreshAt = now.addingTimeInterval(refreshInterval)

        let newlyAlarming = wasLoaded && alarms.contains {
            $0.state == .alarm && !previouslyAlarming.contains(AlarmID($0))
        }
        return newlyAlarming ? [.bell] : []
    }

    /// `alarms` in `Alarm.triageOrder` (Swift's sort is stable: ties keep their order). A list
    /// already in that order, as `AlarmFetcher.list` returns it, is kept as it is, not copied.
    /// Otherwise sorts positions rather than the alarms themselves (`sorted(by:)` copies every
    /// alarm, then merges through a buffer of half of them) and copies each alarm once into place.
    static func triageSorted(_ alarms: [Alarm]) -> [Alarm] {
        let inOrder = alarms.withUnsafeBufferPointer { list in
            list.indices.dropFirst().allSatisfy { !Alarm.triageOrder(list[$0], list[$0 - 1]) }
        }
        if inOrder { return alarms }
        return alarms.withUnsafeBufferPointer { list in
            var order = Array(list.indices)
            order.sort { Alarm.triageOrder(list[$0], list[$1]) }
            return order.map { list[$0] }
        }
    }

    mutating func fail(_ message: String, now: Date) {
        refresh = .failed(message: message, at: now, lastLoaded: refresh.lastLoaded)
        refreshInFlight = false
        refreshStartedAt = nil
        consecutiveFailures += 1
        nextRefreshAt = now.addingTimeInterval(retryDelay)
    }

    /// Selects the alarm at `index` of `alarms`, if it is shown.
    mutating func select(_ index: Int) {
        if let row = alarmsView.rows.firstIndex(of: index) { selectRow(row) }
    }

    /// Selects the alarm shown at `row`.
    mutating func selectRow(_ row: Int) {
        let index = alarmsView.rows[row]
        alarmsView.selectedRow = row
        selectedIndex = index
        selectedID = AlarmID(alarms[index])
        keepSelectionVisible()
    }

    /// Scrolls the least needed to show the selection, and never past the end of the list (so a
    /// taller terminal shows more rows instead of blank space).
    mutating func keepSelectionVisible() {
        let height = layout.listHeight
        guard height > 0 else { return }
        if let row = alarmsView.selectedRow {
            if row < scrollOffset { scrollOffset = row }
            if row >= scrollOffset + height { scrollOffset = row - height + 1 }
        }
        scrollOffset = min(max(0, scrollOffset), max(0, alarmsView.rows.count - height))
    }

    mutating func setFilter(_ text: String) {
        let narrowing = text.hasPrefix(alarmsView.filter)
        alarmsView.filter = text
        applyFilter(narrowing: narrowing, keepPosition: false)
    }

    /// Every alarm's index in the sort order.
    mutating func rebuildSorted() {
        let all = Array(alarms.indices)
        let list = alarms
        // `alarms` is in triage order, so an index breaks every tie the triage way.
        switch alarmsView.sort {
        case .triage:
            alarmsView.sorted = all
        case .name:
            alarmsView.sorted = all.sorted { a, b in
                list[a].name != list[b].name ? list[a].name < list[b].name : a < b
            }
        case .recent:
            alarmsView.sorted = all.sorted { a, b in
                list[a].updated != list[b].updated ? list[a].updated > list[b].updated : a < b
            }
        case .region:
            alarmsView.sorted = all.sorted { a, b in
                list[a].region != list[b].region ? list[a].region < list[b].region : a < b
            }
        }
    }

    /// Recomputes `rows` from the sort order and the filter, then puts the selection back on the same
    /// alarm if it is shown, else on the same position (`keepPosition`) or the first row. When the
    /// filter only grew (`narrowing`), only the rows already shown are tested.
    mutating func applyFilter(narrowing: Bool, keepPosition: Bool) {
        let needle = Array(alarmsView.filter.lowercased().utf8)
        if needle.isEmpty {
            alarmsView.haystacks = []
            alarmsView.rows = alarmsView.sorted
        } else {
            if alarmsView.haystacks.count != alarms.count { alarmsView.haystacks = alarms.map(Self.haystack) }
            let base = narrowing ? alarmsView.rows : alarmsView.sorted
            let haystacks = alarmsView.haystacks
            alarmsView.rows = base.filter { Self.contains(haystacks[$0], needle) }
        }
        let rows = alarmsView.rows
        guard !rows.isEmpty else {
            alarmsView.selectedRow = nil
            selectedIndex = nil
            // Remembered while the filter hides everything, so clearing it selects the same alarm.
            if alarms.isEmpty { selectedID = nil }
            keepSelectionVisible()
            return
        }
        if let id = selectedID, let row = rows.firstIndex(where: { alarms[$0].name == id.name && alarms[$0].region == id.region }) {
            selectRow(row)
        } else {
            selectRow(keepPosition ? min(alarmsView.selectedRow ?? 0, rows.count - 1) : 0)
        }
    }

    /// What the filter searches, as shown: name, region, reason and the state (label and AWS's word).
    static func haystack(_ alarm: Alarm) -> [UInt8] {
        let text = [
            TerminalText.sanitize(alarm.name), TerminalText.sanitize(alarm.region), TerminalText.sanitize(alarm.reason),
            AlarmListing.label(alarm.state), alarm.state.rawValue,
        ].joined(separator: "\n")
        return Array(text.lowercased().utf8)
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard let first = needle.first else { return true }
        guard haystack.count >= needle.count else { return false }
        var i = 0
        let last = haystack.count - needle.count
        while i <= last {
            if haystack[i] == first {
                var j = 1
                while j < needle.count && haystack[i + j] == needle[j] { j += 1 }
                if j == needle.count { return true }
            }
            i += 1
        }
        return false
    }
}

extension ConsoleLoop {
    /// Reads the metric off the loop (a detached task: network work never runs on the loop's thread)
    /// and hands the answer back through the inbox. Without a source, says the console has none.
    func perform(_ effect: AlarmsViewEffect) {
        switch effect {
        case .fetchMetric(let id, let query):
            let inbox = self.inbox
            guard let source = dependencies.metrics else {
                inbox.push(.alarmsView(.metricFailed(id, MetricFailure(
                    code: nil, message: "this console has no way to read metrics (no AWS client was set up)", requestID: nil))))
                return
            }
            Task.detached {
                let event: AlarmsViewEvent
                do {
                    event = .metricLoaded(id, query, try await source.fetch(query))
                } catch let failure as MetricFailure {
                    event = .metricFailed(id, failure)
                } catch {
                    event = .metricFailed(id, MetricFailure(code: nil, message: String(describing: error), requestID: nil))
                }
                inbox.push(.alarmsView(event))
            }
        }
    }
}
