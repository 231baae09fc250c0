import BreakglassCore
@testable import BreakglassTUI
import Foundation
import Testing

@Suite("Console pages: reducer")
struct ConsolePageReducerTests {
    @Test
    func theFeedStartsFromTheNewestPageThenPollsEverySecondOneAtATime() {
        var state = ConsoleState(identity: "", regions: ["us-east-1"], size: TerminalSize(width: 80, height: 24), now: fixedNow, pages: .on)
        #expect(reduce(&state, .tick, now: fixedNow) == [.startRefresh, .startPages])
        #expect(reduce(&state, .tick, now: fixedNow.addingTimeInterval(5)).isEmpty, "the overlap guard")
        // Pages from before the console started are never shown, even if a poll brings them.
        #expect(reduce(&state, .pagesArrived([page(3)]), now: fixedNow).isEmpty)
        #expect(state.notices.isEmpty)
        _ = reduce(&state, .pagesStarted(after: 40), now: fixedNow.addingTimeInterval(5))
        #expect(state.pageFeed.after == 40)
        #expect(reduce(&state, .tick, now: fixedNow.addingTimeInterval(5.9)).isEmpty)
        #expect(reduce(&state, .tick, now: fixedNow.addingTimeInterval(6)) == [.pollPages(after: 40)])
        #expect(reduce(&state, .pagesArrived([page(41)]), now: fixedNow.addingTimeInterval(6)) == [.bell])
        #expect(reduce(&state, .tick, now: fixedNow.addingTimeInterval(7)) == [.pollPages(after: 41)])
    }

    @Test(arguments: [PageFeedStatus.Mode.off, .unavailable("cannot open state.db")])
    func withoutAFeedNothingIsPolled(_ mode: PageFeedStatus.Mode) {
        var state = ConsoleState(identity: "", regions: [], size: TerminalSize(width: 80, height: 24), now: fixedNow, pages: mode)
        #expect(reduce(&state, .tick, now: fixedNow) == [.startRefresh])
        #expect(reduce(&state, .key(.char("a")), now: fixedNow).isEmpty)
    }

    // (what, batches in arrival order, effects of the last batch, what the banner shows, notices kept)
    @Test(arguments: [
        ("a trigger rings", [[page(41)]], [ConsoleEffect.bell], PageNotice.Kind.paged(stage: 1, firing: 1, contacts: ["Primary on-call"]), 1),
        ("two contacts of one firing ring once and show together",
         [[page(41, contact: "Primary on-call"), page(42, contact: "Backup")]], [.bell],
         .paged(stage: 1, firing: 1, contacts: ["Primary on-call", "Backup"]), 1),
        ("the next stage replaces the first and rings again",
         [[page(41)], [page(45, firing: 2, stage: 2, contact: "Secondary")]], [.bell],
         .paged(stage: 2, firing: 2, contacts: ["Secondary"]), 1),
        ("an acknowledgement updates the banner without a bell",
         [[page(41)], [page(43, .acknowledge, by: "alice")]], [], .acknowledged(by: "alice"), 1),
        ("a resolution too", [[page(41)], [page(44, .resolve, by: "bob")]], [], .resolved(by: "bob"), 1),
        ("a notice for an incident paged before the console started is shown",
         [[page(41, incident: 7, .acknowledge, by: "carol")]], [], .acknowledged(by: "carol"), 1),
        ("a page seen already is not taken again", [[page(41)], [page(41)]], [], .paged(stage: 1, firing: 1, contacts: ["Primary on-call"]), 1),
        ("a page that needs an answer shows before news about another incident",
         [[page(41, incident: 12)], [page(42, incident: 7, .resolve, by: "bob")]], [],
         .paged(stage: 1, firing: 1, contacts: ["Primary on-call"]), 2),
        ("the newest page of several shows",
         [[page(41, incident: 12), page(42, incident: 13, title: "prod-db in ALARM (severity 2)")]], [.bell],
         .paged(stage: 1, firing: 1, contacts: ["Primary on-call"]), 2),
        ("a re-alert after an acknowledgement pages again",
         [[page(41)], [page(43, .acknowledge, by: "alice")], [page(50, firing: 3, stage: 1)]], [.bell],
         .paged(stage: 1, firing: 3, contacts: ["Primary on-call"]), 1),
    ] as [(String, [[ConsolePage]], [ConsoleEffect], PageNotice.Kind, Int)])
    func pagesArrive(_ what: String, _ batches: [[ConsolePage]], _ lastEffects: [ConsoleEffect], _ shown: PageNotice.Kind, _ kept: Int) {
        var state = pagingState()
        var effects: [ConsoleEffect] = []
        for batch in batches { effects = reduce(&state, .pagesArrived(batch), now: fixedNow) }
        #expect(effects == lastEffects, "\(what)")
        guard case .notice(let notice, let more) = state.banner else {
            Issue.record("\(what): no notice shown")
            return
        }
        #expect(notice.kind == shown, "\(what)")
        #expect(more == kept - 1 && state.notices.count == kept, "\(what)")
        #expect(state.pageFeed.after == batches.flatMap { $0 }.map(\.id).max())
    }

    @Test
    func theNewestOfSeveralIncidentsShowsWithTheOthersCounted() {
        let state = pagedState([page(41, incident: 12), page(42, incident: 13, title: "prod-db in ALARM (severity 2)")])
        guard case .notice(let notice, let more) = state.banner else {
            Issue.record("no banner")
            return
        }
        #expect(notice.incident == 13 && more == 1)
    }

    // (what, pages before the key, key, effects, the banner's notice afterwards (nil: none), notices kept)
    @Test(arguments: [
        ("a acknowledges the paged incident", [page(41)], Key.char("a"), [ConsoleEffect.acknowledge(incident: 12)], PageNotice.Kind?.some(.acknowledging), 1),
        ("a does nothing without a page", [], .char("a"), [], nil, 0),
        ("a does nothing on news", [page(41, .acknowledge, by: "alice")], .char("a"), [], .acknowledged(by: "alice"), 1),
        ("Esc dismisses the page", [page(41)], .escape, [], nil, 0),
        ("Esc shows the next notice", [page(41, incident: 12), page(42, incident: 13)], .escape, [],
         .paged(stage: 1, firing: 1, contacts: ["Primary on-call"]), 1),
        ("Esc without a banner does nothing", [], .escape, [], nil, 0),
        ("movement keys still move", [page(41)], .char("j"), [], .paged(stage: 1, firing: 1, contacts: ["Primary on-call"]), 1),
        ("q still quits", [page(41)], .char("q"), [.quit], .paged(stage: 1, firing: 1, contacts: ["Primary on-call"]), 1),
    ] as [(String, [ConsolePage], Key, [ConsoleEffect], PageNotice.Kind?, Int)])
    func keys(_ what: String, _ pages: [ConsolePage], _ key: Key, _ expectedEffects: [ConsoleEffect], _ shown: PageNotice.Kind?, _ kept: Int) {
        var state = pagedState(pages)
        #expect(reduce(&state, .key(key), now: fixedNow) == expectedEffects, "\(what)")
        #expect(state.shownNoticeIndex.map { state.notices[$0].kind } == shown, "\(what)")
        #expect(state.notices.count == kept, "\(what)")
    }

    @Test
    func aSecondPressWhileAcknowledgingSendsNothingMore() {
        var state = pagedState([page(41)])
        #expect(reduce(&state, .key(.char("a")), now: fixedNow) == [.acknowledge(incident: 12)])
        #expect(reduce(&state, .key(.char("a")), now: fixedNow).isEmpty)
    }

    @Test
    func theAnswerToAnAcknowledgementShowsInTheBanner() {
        var state = pagedState([page(41)])
        _ = reduce(&state, .key(.char("a")), now: fixedNow)
        #expect(reduce(&state, .acknowledged(incident: 12, by: "alice"), now: fixedNow).isEmpty)
        #expect(state.notices.map(\.kind) == [.acknowledged(by: "alice")])
        // The store's own notice of it arrives later and changes nothing, without a bell.
        #expect(reduce(&state, .pagesArrived([page(43, .acknowledge, by: "alice")]), now: fixedNow).isEmpty)
        #expect(state.notices.map(\.kind) == [.acknowledged(by: "alice")])
    }

    @Test
    func theAnswerStaysInTheBannerWhileAnotherPageWaitsUntilDismissedOrANewPage() {
        var state = pagedState([page(41, incident: 11), page(42, incident: 12)])
        #expect(reduce(&state, .key(.char("a")), now: fixedNow) == [.acknowledge(incident: 12)])
        _ = reduce(&state, .acknowledged(incident: 12, by: "alice"), now: fixedNow)
        #expect(state.banner == .notice(PageNotice(incident: 12, title: "prod-api in ALARM (severity 1)", severity: 1, kind: .acknowledged(by: "alice")), more: 1))
        // News does not move it; Esc dismisses it and the waiting page shows.
        _ = reduce(&state, .pagesArrived([page(43, incident: 12, .acknowledge, by: "alice")]), now: fixedNow)
        #expect(state.shownNoticeIndex.map { state.notices[$0].incident } == 12)
        _ = reduce(&state, .key(.escape), now: fixedNow)
        #expect(state.shownNoticeIndex.map { state.notices[$0].incident } == 11)
        // A new page takes the banner from an answer.
        _ = reduce(&state, .key(.char("a")), now: fixedNow)
        _ = reduce(&state, .pagesArrived([page(44, incident: 13)]), now: fixedNow)
        #expect(state.shownNoticeIndex.map { state.notices[$0].incident } == 13)
    }

    @Test
    func aFailedAcknowledgementSaysWhyAndATriesAgain() {
        var state = pagedState([page(41)])
        _ = reduce(&state, .key(.char("a")), now: fixedNow)
        _ = reduce(&state, .acknowledgeFailed(incident: 12, message: "database is locked"), now: fixedNow)
        #expect(state.notices.map(\.kind) == [.acknowledgeFailed("database is locked")])
        #expect(state.bannerActions == [.acknowledge, .back])
        #expect(reduce(&state, .key(.char("a")), now: fixedNow) == [.acknowledge(incident: 12)])
        // A failure that arrives when the banner has moved on changes nothing.
        _ = reduce(&state, .pagesArrived([page(43, .acknowledge, by: "bob")]), now: fixedNow)
        _ = reduce(&state, .acknowledgeFailed(incident: 12, message: "already acknowledged by bob"), now: fixedNow)
        #expect(state.notices.map(\.kind) == [.acknowledged(by: "bob")])
    }

    @Test
    func theTooSmallScreenTakesNoPageKeys() {
        var state = pagedState([page(41)])
        _ = reduce(&state, .resize(width: 60, height: 20), now: fixedNow)
        #expect(reduce(&state, .key(.char("a")), now: fixedNow).isEmpty)
        #expect(reduce(&state, .key(.escape), now: fixedNow).isEmpty)
        #expect(state.notices.count == 1)
    }

    @Test
    func theBannerTakesARowFromTheListAndTheSelectionStaysVisible() {
        var state = pagingState(okAlarms(30))
        #expect(state.layout.listHeight == 18 && state.layout.headerRow == 3)
        _ = reduce(&state, .key(.pageDown), now: fixedNow)
        #expect(state.selectedIndex == 18 && state.scrollOffset == 1)
        _ = reduce(&state, .pagesArrived([page(41)]), now: fixedNow)
        #expect(state.layout.listHeight == 17 && state.layout.headerRow == 4 && state.layout.listTop == 5)
        #expect(state.scrollOffset == 2, "the selected row is still on screen")
        _ = reduce(&state, .key(.escape), now: fixedNow)
        #expect(state.layout.listHeight == 18)
    }

    @Test
    func failedPollsBackOffAndSaySoUntilOneWorks() {
        var state = pagingState()
        var now = fixedNow
        for delay in [2.0, 4, 8, 16, 30, 30] {
            now = state.pageFeed.nextPollAt
            #expect(reduce(&state, .tick, now: now).contains(.pollPages(after: 40)))
            _ = reduce(&state, .pagesFailed("disk I/O error"), now: now)
            #expect(state.pageFeed.nextPollAt == now.addingTimeInterval(delay))
        }
        #expect(state.pageFeed.marker == "pages failing")
        #expect(state.banner == .problem("pages: could not read the state file: disk I/O error"))
        _ = reduce(&state, .key(.escape), now: now)
        #expect(state.banner == nil && state.pageFeed.marker == "pages failing")
        _ = reduce(&state, .tick, now: state.pageFeed.nextPollAt)
        _ = reduce(&state, .pagesArrived([]), now: state.pageFeed.nextPollAt)
        #expect(state.pageFeed.marker == nil && state.banner == nil && state.pageFeed.consecutiveFailures == 0)
    }

    @Test
    func aStateFileThatCannotBeOpenedIsSaidOnceAndMarked() {
        var state = ConsoleState(identity: "", regions: [], size: TerminalSize(width: 80, height: 24), now: fixedNow, pages: .unavailable("state folder is mode 0755"))
        #expect(state.banner == .problem("pages off: state folder is mode 0755 — showing alarms only"))
        #expect(state.bannerActions == [.back])
        _ = reduce(&state, .key(.escape), now: fixedNow)
        #expect(state.banner == nil)
        #expect(state.pageFeed.marker == "pages off")
    }

    @Test
    func oldNoticesAreDroppedPastTheLimit() {
        var state = pagingState()
        let pages = (0..<60).map { page(Int64(41 + $0), incident: Int64(100 + $0), .resolve, by: "bob") }
        _ = reduce(&state, .pagesArrived(pages), now: fixedNow)
        #expect(state.notices.count == ConsoleState.noticeLimit)
        #expect(state.notices.last?.incident == 159)
    }

    @Test
    func theSessionWakesForTheNextPoll() {
        var session = ConsoleSession(
            options: ConsoleOptions(identity: "", regions: []), size: TerminalSize(width: 80, height: 24), theme: .default,
            now: fixedNow, pages: .on)
        _ = session.handle(.tick, now: fixedNow)
        _ = session.handle(.alarmsLoaded([]), now: fixedNow)
        _ = session.handle(.pagesStarted(after: 0), now: fixedNow.addingTimeInterval(0.5))
        #expect(session.nextWakeup(after: fixedNow.addingTimeInterval(0.5)) == fixedNow.addingTimeInterval(1))
        _ = session.handle(.tick, now: fixedNow.addingTimeInterval(1.5))
        #expect(session.state.pageFeed.inFlight)
    }
}
