import BreakglassAWS
import BreakglassTestSupport
import Foundation
import Testing

/// `breakglass runbook list | show | lint`, the real binary, run from a chosen folder.
@Suite("Runbook command")
struct RunbookCommandTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// Runs `breakglass args...` with `directory` as its current folder, in a throwaway home with no
    /// configuration file.
    static func run(_ args: [String], in directory: String, home: TemporaryHome) throws -> BreakglassBinary.Result {
        try Subprocess.run(
            "/bin/sh", ["-c", "cd \"$0\" && exec \"$@\"", directory, BreakglassBinary.path] + args,
            environment: home.variables(["XDG_CONFIG_HOME": home.path + "/.config", "BREAKGLASS_CONFIG": ""]))
    }

    static var shippedIDs: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: repositoryRoot + "/runbooks")) ?? [])
            .filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(".yaml".count)) }.sorted()
    }

    @Test func theShippedRunbooksListShowAndLintClean() throws {
        let home = try TemporaryHome()
        let ids = Self.shippedIDs
        try #require(ids.count >= 10)

        let lint = try Self.run(["runbook", "lint"], in: Self.repositoryRoot, home: home)
        #expect(lint.status == 0, "\(lint.stdout)\n\(lint.stderr)")
        #expect(lint.stdout == "")
        #expect(lint.stderr == "breakglass: runbook lint: \(ids.count) runbook files, no problems\n")

        let list = try Self.run(["runbook", "list"], in: Self.repositoryRoot, home: home)
        #expect(list.status == 0, "\(list.stderr)")
        let lines = list.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.split(separator: " ", omittingEmptySubsequences: true) == ["ID", "TITLE", "ACCESS", "STEPS", "FILE"])
        #expect(lines.dropFirst().map { String($0.prefix { $0 != " " }) } == ids)
        let failover = try #require(lines.first { $0.hasPrefix("rds-failover ") })
        #expect(failover.contains("Fail over the primary database") && failover.contains("db-break-glass") && failover.hasSuffix("runbooks/rds-failover.yaml"))

        let json = try Self.run(["runbook", "list", "--output", "json"], in: Self.repositoryRoot, home: home)
        #expect(json.status == 0)
        let listed = try #require(try JSON.decode(json.stdout).array)
        #expect(listed.compactMap { $0["id"]?.string } == ids)
        #expect(listed.first { $0["id"] == "rds-failover" }?["steps"]?.int == 6)

        let show = try Self.run(["runbook", "show", "rds-failover"], in: Self.repositoryRoot, home: home)
        #expect(show.status == 0, "\(show.stderr)")
        #expect(show.stdout.hasPrefix("rds-failover: Fail over the primary database\n"), "\(show.stdout)")
        for text in [
            "Access: db-break-glass", "cluster: default prod-aurora; must match ^[a-z][a-z0-9-]{0,62}$",
            "2. Check, reading only (runs without asking): rds.DescribeDBClusters",
            "3. Change something in AWS (asks you to type the name {{cluster}} first): rds.FailoverDBCluster",
            "DBClusterIdentifier: {{cluster}}", "Expects DBClusters[0].Status is available",
            "Wait for the alarm {{alarm}} to be OK, for up to 15m.",
        ] {
            #expect(show.stdout.contains(text), "\(text)\n\(show.stdout)")
        }

        let showJSON = try Self.run(["runbook", "show", "pause-workers", "--output", "json"], in: Self.repositoryRoot, home: home)
        #expect(showJSON.status == 0)
        let runbook = try JSON.decode(showJSON.stdout)
        #expect(runbook["access"] == "app-break-glass")
        let steps = try #require(runbook["steps"]?.array)
        #expect(steps.compactMap { $0["kind"]?.string } == ["say", "check", "say", "do", "wait", "wait_alarm", "approve", "do", "wait", "say"])
        #expect(steps[7]["with"]?["desiredCount"] == "{{steps.before.services[0].desiredCount}}")
        #expect(steps[3]["confirm"] == "type")
    }

    /// A folder with a config file and runbook folders, for one test.
    final class Workspace {
        let home: TemporaryHome
        let path: String

        init() throws {
            home = try TemporaryHome()
            path = home.path + "/ops"
            try FileManager.default.createDirectory(atPath: path + "/runbooks", withIntermediateDirectories: true)
        }

        func write(_ relative: String, _ text: String) throws {
            let full = path + "/" + relative
            try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: full, atomically: true, encoding: .utf8)
        }

        func run(_ args: [String]) throws -> BreakglassBinary.Result { try RunbookCommandTests.run(args, in: path, home: home) }
    }

    static let broken = """
        id: restart-api
        title: Restart the API
        access: app-break-glass
        params:
          service: { default: orders-api }
        steps:
          - check:
              call: ecs.DescribeService
              with: { cluster: prod, services: ["{{servce}}"] }
          - do:
              call: ecs.UpdateService
              with: { cluster: prod, servce: "{{service}}", forceNewDeployment: true }
          - query: { table: orders, scan: true, limit: 50 }
          - say: "Was {{steps.after.services[0].runningCount}}"
          - id: after
            check: { call: ecs.DescribeServices, with: { services: ["{{service}}"] } }
        """

    @Test func aBrokenRunbookExitsThreeWithEveryProblemsLocation() throws {
        let w = try Workspace()
        try w.write("runbooks/restart-api.yaml", Self.broken)
        let result = try w.run(["runbook", "lint"])
        #expect(result.status == 3, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout == """
            runbooks/restart-api.yaml:8:13: steps[0].check.call: ecs has no operation `DescribeService` in Breakglass's catalog; did you mean `DescribeServices`? (ecs has DescribeServices, UpdateService, CreateCluster, RegisterTaskDefinition, CreateService)
            runbooks/restart-api.yaml:9:41: steps[0].check.with.services[0]: unknown parameter `servce` in {{servce}}; did you mean `service`?
            runbooks/restart-api.yaml:10:5: steps[1].do: a `do` step needs `explain`: say in plain words what it changes and what people will notice
            runbooks/restart-api.yaml:12:30: steps[1].do.with: ecs.UpdateService has no parameter `servce`; did you mean `service`?
            runbooks/restart-api.yaml:13:35: steps[2].query.scan: a scan reads the whole table and can use up its read capacity; add a `reason` that says why that is acceptable here, or query by key instead
            runbooks/restart-api.yaml:14:10: steps[3].say: step `after` (steps[4]) runs after this one, so its output does not exist yet; a step can only use the outputs of steps before it (in {{steps.after.services[0].runningCount}})

            """)
        #expect(result.stderr == "breakglass: runbook lint: 6 problems, 1 runbook file checked\n")

        // The same problems as JSON, for CI.
        let json = try w.run(["runbook", "lint", "--output", "json"])
        #expect(json.status == 3)
        let problems = try #require(try JSON.decode(json.stdout).array)
        #expect(problems.count == 6)
        #expect(problems.first == ["file": "runbooks/restart-api.yaml", "line": 8, "column": 13, "field": "steps[0].check.call",
                                   "message": "ecs has no operation `DescribeService` in Breakglass's catalog; did you mean `DescribeServices`? (ecs has DescribeServices, UpdateService, CreateCluster, RegisterTaskDefinition, CreateService)"])

        // A YAML error is a lint error too, at its place; the file named on the command line is the one checked.
        try w.write("elsewhere/bad.yaml", "id: x\ntitle: [X\n")
        let syntax = try w.run(["runbook", "lint", "elsewhere/bad.yaml"])
        #expect(syntax.status == 3)
        #expect(syntax.stdout.hasPrefix("elsewhere/bad.yaml:3:1: YAML syntax: "), "\(syntax.stdout)")
        #expect(!syntax.stdout.contains("restart-api"))
    }

    @Test func aFileThatCannotBeReadExitsTwo() throws {
        let w = try Workspace()
        try w.write("runbooks/ok.yaml", "id: ok\ntitle: OK\nsteps:\n  - say: hi\n")
        let result = try w.run(["runbook", "lint", "runbooks/ok.yaml", "missing.yaml"])
        #expect(result.status == 2, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stderr.contains("breakglass: error: missing.yaml: cannot read the file: No such file or directory\n"), "\(result.stderr)")
        #expect(result.stdout == "")
        let folder = try w.run(["runbook", "lint", "runbooks"])
        #expect(folder.status == 2)
        #expect(folder.stderr.contains("breakglass: error: runbooks: cannot read the file: it is a folder, not a file"), "\(folder.stderr)")
        let clean = try w.run(["runbook", "lint", "runbooks/ok.yaml"])
        #expect(clean.status == 0 && clean.stderr == "breakglass: runbook lint: 1 runbook file, no problems\n", "\(clean.stderr)")
    }

    @Test func aDuplicateIDAcrossTwoFoldersNamesBothFiles() throws {
        let w = try Workspace()
        try w.write("breakglass.yaml", "runbooks: [team-a, team-b]\n")
        try w.write("team-a/restart.yaml", "id: restart-api\ntitle: Restart (team A)\nsteps:\n  - say: a\n")
        try w.write("team-b/restart.yaml", "# team B's copy\nid: restart-api\ntitle: Restart (team B)\nsteps:\n  - say: b\n")
        try w.write("runbooks/other.yaml", "id: other\ntitle: Other\nsteps:\n  - say: c\n")
        let message = "team-b/restart.yaml:2:5: id: runbook id `restart-api` is also used by team-a/restart.yaml:1:5; ids must be unique across every runbook folder"

        let lint = try w.run(["runbook", "lint"])
        #expect(lint.status == 3, "\(lint.stdout)\n\(lint.stderr)")
        #expect(lint.stdout == message + "\n")
        #expect(lint.stderr == "breakglass: runbook lint: 1 problem, 3 runbook files checked\n")

        // list still lists what it can, says what is wrong and fails as a configuration error.
        let list = try w.run(["runbook", "list"])
        #expect(list.status == 2)
        #expect(list.stderr == "breakglass: error: \(message)\n")
        #expect(list.stdout.split(separator: "\n").dropFirst().map { String($0.prefix { $0 != " " }) } == ["other", "restart-api"])
        let show = try w.run(["runbook", "show", "restart-api"])
        #expect(show.status == 2 && show.stdout == "" && show.stderr == "breakglass: error: \(message)\n", "\(show.stderr)")
    }

    @Test func rolesAndResponseRulesAreCheckedAgainstTheConfiguration() throws {
        let w = try Workspace()
        try w.write("breakglass.yaml", """
            contacts: { primary: {} }
            escalation: { default: { stages: [{ notify: primary, wait: 5m }] } }
            response:
              - { match: { alarm: "prod-db-*" }, severity: 1, escalation: default, runbooks: [rds-failover, db-overlaod] }
            access:
              roles:
                db-break-glass: { arn: "arn:aws:iam::111122223333:role/db-break-glass" }
            """)
        try w.write("runbooks/rds-failover.yaml", "id: rds-failover\ntitle: F\naccess: db-breakglass\nsteps:\n  - say: hi\n")
        try w.write("runbooks/db-overload.yaml", "id: db-overload\ntitle: O\naccess: db-break-glass\nsteps:\n  - say: hi\n")
        let lint = try w.run(["runbook", "lint"])
        #expect(lint.status == 3, "\(lint.stdout)\n\(lint.stderr)")
        #expect(lint.stdout == """
            breakglass.yaml:4:97: response[0].runbooks: unknown runbook `db-overlaod`; did you mean `db-overload`?
            runbooks/rds-failover.yaml:3:9: access: role `db-breakglass` is not defined under access.roles in breakglass.yaml; did you mean `db-break-glass`?

            """)
        // A broken configuration stops everything, as in every command.
        try w.write("breakglass.yaml", "acess: {}\n")
        let config = try w.run(["runbook", "lint"])
        #expect(config.status == 2)
        #expect(config.stderr.contains("breakglass.yaml:1:1: unknown key `acess`; did you mean `access`?"), "\(config.stderr)")
    }

    @Test func showingAnUnknownRunbookSuggestsTheNearest() throws {
        let w = try Workspace()
        try w.write("runbooks/rds-failover.yaml", "id: rds-failover\ntitle: F\nsteps:\n  - say: hi\n")
        let result = try w.run(["runbook", "show", "rds-failvoer"])
        #expect(result.status == 2)
        #expect(result.stderr == "breakglass: error: no runbook `rds-failvoer`; did you mean `rds-failover`?\n")
    }

    @Test func runbookTextIsSanitisedBeforeItReachesTheTerminal() throws {
        let w = try Workspace()
        try w.write("runbooks/evil.yaml", "id: evil\ntitle: \"Evil \\e]0;pwned\\a title\"\nsteps:\n  - say: \"Clear \\e[2J the screen\"\n")
        for args in [["runbook", "list"], ["runbook", "show", "evil"]] {
            let result = try w.run(args)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(!result.stdout.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 }, "\(args): \(result.stdout.debugDescription)")
            #expect(result.stdout.contains("Evil"))
        }
    }
}
