import BreakglassAWS
import BreakglassCore
import Foundation
import Testing

@Suite("Doctor checks")
struct DoctorTests {
    typealias File = DoctorChecks.FileFacts

    // MARK: config

    @Test func configFoundNotFoundAndBroken() throws {
        let found = ConfigLocator.Found(path: "/w/breakglass.yaml", displayPath: "breakglass.yaml", source: .currentDirectory)
        let config = try ConfigLoader.parse(baseConfig, file: "breakglass.yaml")
        let ok = DoctorChecks.config(.success(LoadedConfig(config: config, search: .init(found: found, searched: []))))
        #expect(ok == [.pass("config", "breakglass.yaml: 2 contacts, 1 escalation plan, 1 response rule, 0 access roles")])

        let none = DoctorChecks.config(.success(LoadedConfig(config: BreakglassConfig(), search: .init(found: nil, searched: ["BREAKGLASS_CONFIG (not set)", "/w/breakglass.yaml (no such file)"]))))
        #expect(none.count == 1)
        #expect(none[0].status == .warn)
        #expect(none[0].detail == "no configuration file; looked at BREAKGLASS_CONFIG (not set), /w/breakglass.yaml (no such file)")
        #expect(none[0].fix?.contains("docs/examples/breakglass.yaml") == true)

        let errors = SourceErrors([
            SourceError("unknown key `x`", at: SourceLocation(file: "b.yaml", line: 3, column: 5), field: FieldPath([.key("aws")])),
            SourceError("expected true or false, found yes", at: SourceLocation(file: "b.yaml", line: 9, column: 11), field: FieldPath([.key("console"), .key("guided")])),
        ])
        let broken = DoctorChecks.config(.failure(errors))
        #expect(broken.map(\.status) == [.fail, .fail])
        #expect(broken.map(\.detail) == ["b.yaml:3:5: aws: unknown key `x`", "b.yaml:9:11: console.guided: expected true or false, found yes"])
        #expect(broken[1].fix == "edit b.yaml at line 9, column 11 (docs/CONFIG.md describes every key)")

        let missing = DoctorChecks.config(.failure(SourceErrors(SourceError("--config names a file that does not exist", at: .file("x.yaml")))))
        #expect(missing == [.fail("config", "x.yaml: --config names a file that does not exist", fix: "give --config the path of an existing configuration file")])
    }

    // MARK: console

    @Test func consoleThemeAndKeys() {
        #expect(DoctorChecks.console(theme: nil, rebound: [], problems: []) == [.pass("console", "the default theme, the default keys")])
        #expect(DoctorChecks.console(theme: "colorblind", rebound: ["quit", "help"], problems: [])
            == [.pass("console", "theme colorblind, 2 actions rebound (quit, help)")])
        let problems = [
            SourceError("no theme named `neon`", at: SourceLocation(file: "b.yaml", line: 4, column: 10), field: FieldPath([.key("console"), .key("theme")])),
            SourceError("unknown action `quitt`; did you mean `quit`?", at: SourceLocation(file: "b.yaml", line: 6, column: 5),
                field: FieldPath([.key("console"), .key("keys"), .key("quitt")])),
            SourceError("expected a colour", at: SourceLocation(file: "themes/neon.yaml", line: 2, column: 8), field: FieldPath([.key("roles"), .key("text")])),
        ]
        let failed = DoctorChecks.console(theme: "neon", rebound: ["quitt"], problems: problems)
        #expect(failed.map(\.status) == [.fail, .fail, .fail])
        #expect(failed.map(\.check) == ["console", "console", "console"])
        #expect(failed.map(\.detail) == [
            "b.yaml:4:10: console.theme: no theme named `neon`",
            "b.yaml:6:5: console.keys.quitt: unknown action `quitt`; did you mean `quit`?",
            "themes/neon.yaml:2:8: roles.text: expected a colour",
        ])
        #expect(failed[0].fix == "edit b.yaml at line 4, column 10 (themes: default, high-contrast, monochrome, colorblind, or a theme file; docs/THEMES.md)")
        #expect(failed[1].fix == "edit b.yaml at line 6, column 5 (docs/CONSOLE.md lists the actions and key names)")
        #expect(failed[2].fix?.hasPrefix("edit themes/neon.yaml at line 2, column 8") == true)
    }

    // MARK: state

    @Test(arguments: [
        ("missing folder", File.missing, File.missing, [DoctorResult.Status.pass, .pass], nil),
        ("private folder, private database", File(kind: .directory, mode: 0o700, owner: 501), File(kind: .file, mode: 0o600, owner: 501), [.pass, .pass], nil),
        ("folder open to all", File(kind: .directory, mode: 0o755, owner: 501), File.missing, [.fail, .pass], "chmod 700 '/tmp/a b/breakglass'"),
        ("folder open to its group", File(kind: .directory, mode: 0o770, owner: 501), File.missing, [.fail, .pass], "chmod 700 '/tmp/a b/breakglass'"),
        ("folder you cannot write", File(kind: .directory, mode: 0o500, owner: 501), File.missing, [.fail, .pass], "chmod 700 '/tmp/a b/breakglass'"),
        ("folder of someone else", File(kind: .directory, mode: 0o700, owner: 0), File.missing, [.fail, .pass], "sudo chown \"$(id -un)\" '/tmp/a b/breakglass'"),
        ("a file where the folder goes", File(kind: .file, mode: 0o600, owner: 501), File.missing, [.fail, .pass], "mv '/tmp/a b/breakglass' '/tmp/a b/breakglass.old'"),
        ("database readable by others", File(kind: .directory, mode: 0o700, owner: 501), File(kind: .file, mode: 0o644, owner: 501), [.pass, .fail], "chmod 600 '/tmp/a b/breakglass/state.db'"),
        ("database you cannot write", File(kind: .directory, mode: 0o700, owner: 501), File(kind: .file, mode: 0o400, owner: 501), [.pass, .fail], "chmod 600 '/tmp/a b/breakglass/state.db'"),
        ("database of someone else", File(kind: .directory, mode: 0o700, owner: 501), File(kind: .file, mode: 0o600, owner: 0), [.pass, .fail], "sudo chown \"$(id -un)\" '/tmp/a b/breakglass/state.db'"),
        ("a folder where the database goes", File(kind: .directory, mode: 0o700, owner: 501), File(kind: .directory, mode: 0o700, owner: 501), [.pass, .fail], "mv '/tmp/a b/breakglass/state.db' '/tmp/a b/breakglass/state.db.old'"),
    ] as [(String, File, File, [DoctorResult.Status], String?)])
    func stateFolder(_ name: String, _ folder: File, _ database: File, _ statuses: [DoctorResult.Status], _ fix: String?) {
        let results = DoctorChecks.state(.init(folder: "/tmp/a b/breakglass", folderFacts: folder, database: "/tmp/a b/breakglass/state.db", databaseFacts: database, userID: 501))
        #expect(results.map(\.check) == ["state folder", "state database"])
        #expect(results.map(\.status) == statuses, "\(name)")
        #expect(results.compactMap(\.fix).first == fix, "\(name)")
    }

    @Test func modesAreSpelledOut() {
        let open = DoctorChecks.state(.init(folder: "/s", folderFacts: File(kind: .directory, mode: 0o755, owner: 1), database: "/s/state.db", databaseFacts: File(kind: .file, mode: 0o666, owner: 1), userID: 1))
        #expect(open[0].detail == "/s is mode 0755: group and others can get in")
        #expect(open[0].fix == "chmod 700 /s")
        #expect(open[1].detail == "/s/state.db is mode 0666: group and others can change it")
        let group = DoctorChecks.state(.init(folder: "/s", folderFacts: File(kind: .directory, mode: 0o710, owner: 1), database: "/s/state.db", databaseFacts: File(kind: .file, mode: 0o604, owner: 1), userID: 1))
        #expect(group[0].detail == "/s is mode 0710: its group can get in")
        #expect(group[1].detail == "/s/state.db is mode 0604: others can read it")
        #expect(DoctorChecks.shellQuote("/it's here") == "'/it'\\''s here'")
    }

    // MARK: terminal

    static func terminal(_ env: [String: String], tty: Bool = true, size: (Int, Int)? = (120, 40), codeset: String = "UTF-8", utf8: Bool = true) -> [DoctorResult] {
        DoctorChecks.terminal(.init(environment: env, stdoutIsTTY: tty, columns: size?.0, rows: size?.1, codeset: codeset, codesetIsUTF8: utf8))
    }

    @Test func terminalTypeAndSize() {
        let ok = Self.terminal(["TERM": "xterm-256color", "LANG": "C.UTF-8"])
        #expect(ok.map(\.check) == ["terminal", "colours", "locale"])
        #expect(ok[0] == .pass("terminal", "TERM=xterm-256color, 120×40"))
        #expect(Self.terminal(["TERM": "screen"], size: (80, 24))[0] == .pass("terminal", "TERM=screen, 80×24"))

        let unset = Self.terminal(["TERM": ""])[0]
        #expect(unset.status == .fail && unset.detail.contains("TERM is not set") && unset.fix?.contains("export TERM=xterm-256color") == true)
        let dumb = Self.terminal(["TERM": "dumb"])[0]
        #expect(dumb.status == .fail && dumb.detail.hasPrefix("TERM=dumb"))
        let piped = Self.terminal(["TERM": "xterm"], tty: false, size: nil)[0]
        #expect(piped.status == .warn && piped.detail.contains("not a terminal"))
        let small = Self.terminal(["TERM": "xterm"], size: (79, 24))[0]
        #expect(small == .warn("terminal", "TERM=xterm, 79×24: smaller than the 80×24 the console is laid out for", fix: "make the window at least 80 columns by 24 rows"))
        #expect(Self.terminal(["TERM": "xterm"], size: (100, 23))[0].status == .warn)
    }

    @Test(arguments: [
        (["TERM": "xterm-256color"], "256 colours (TERM=xterm-256color)"),
        (["TERM": "tmux-256color", "COLORTERM": "truecolor"], "24-bit colour (COLORTERM=truecolor)"),
        (["TERM": "xterm", "COLORTERM": "24bit"], "24-bit colour (COLORTERM=24bit)"),
        (["TERM": "xterm-256color", "COLORTERM": "truecolor", "NO_COLOR": "1"], "monochrome (NO_COLOR is set)"),
        (["TERM": "xterm-256color", "NO_COLOR": ""], "256 colours (TERM=xterm-256color)"),
        (["TERM": "linux"], "16 colours (TERM=linux)"),
        (["TERM": "screen"], "16 colours (TERM=screen)"),
        (["TERM": "vt100"], "monochrome (TERM=vt100 has no colour)"),
        ([:], "monochrome (no usable TERM)"),
    ] as [([String: String], String)])
    func colours(_ env: [String: String], _ expected: String) {
        #expect(Self.terminal(env)[1] == .pass("colours", expected))
    }

    @Test func locale() {
        #expect(Self.terminal(["TERM": "xterm", "LANG": "C.UTF-8"])[2] == .pass("locale", "UTF-8 (LANG=C.UTF-8)"))
        #expect(Self.terminal(["TERM": "xterm", "LANG": "C.UTF-8", "LC_ALL": "en_GB.UTF-8"])[2] == .pass("locale", "UTF-8 (LC_ALL=en_GB.UTF-8)"))
        #expect(Self.terminal(["TERM": "xterm"], codeset: "ANSI_X3.4-1968", utf8: false)[2]
            == .fail("locale", "the character set is ANSI_X3.4-1968 (LC_ALL, LC_CTYPE and LANG unset); the console needs UTF-8", fix: "export LANG=C.UTF-8"))
        #expect(Self.terminal(["TERM": "xterm", "LANG": "C.UTF-8", "LC_ALL": "C"], codeset: "ANSI_X3.4-1968", utf8: false)[2].fix == "export LC_ALL=C.UTF-8 (it overrides LANG)")
        #expect(Self.terminal(["TERM": "xterm", "LC_CTYPE": "POSIX"], codeset: "ANSI_X3.4-1968", utf8: false)[2].fix == "export LC_CTYPE=C.UTF-8 (it overrides LANG)")
        let notInstalled = Self.terminal(["TERM": "xterm", "LANG": "xx_YY.UTF-8"], codeset: "ANSI_X3.4-1968", utf8: false)[2]
        #expect(notInstalled.status == .fail)
        #expect(notInstalled.detail == "LANG=xx_YY.UTF-8 asks for UTF-8, but that locale is not installed here, so the character set is ANSI_X3.4-1968")
    }

    // MARK: credentials

    static let profile = AWSProfileChoice(name: "default", origin: "default")

    @Test func credentialsNameTheSourceNeverTheSecret() throws {
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        let creds = AWSCredentials(accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY", sessionToken: "TOKENVALUE", source: "environment")
        let pass = DoctorChecks.credentials(.success(creds), profile: Self.profile, now: now)
        #expect(pass == .pass("credentials", "AKIA…MPLE from environment"))
        let report = DoctorReport([pass])
        for text in [report.text(), report.json()] {
            #expect(!text.contains("SECRETKEY") && !text.contains("TOKENVALUE") && !text.contains("AKIAIOSFODNN7EXAMPLE"))
        }

        let temporary = AWSCredentials(accessKeyID: "ASIAXXXXXXXXXXXXXXXX", secretAccessKey: "s", sessionToken: "t", expiration: now.addingTimeInterval(45 * 60 + 30), source: "profile ops in ~/.aws/config")
        #expect(DoctorChecks.credentials(.success(temporary), profile: Self.profile, now: now) == .pass("credentials", "ASIA…XXXX from profile ops in ~/.aws/config, valid for 45m"))
        let expiring = AWSCredentials(accessKeyID: "ASIAXXXXXXXXXXXXXXXX", secretAccessKey: "s", expiration: now.addingTimeInterval(4 * 60), source: "container")
        let warn = DoctorChecks.credentials(.success(expiring), profile: Self.profile, now: now)
        #expect(warn.status == .warn && warn.detail == "ASIA…XXXX from container, expiring in 4m")
        let expired = AWSCredentials(accessKeyID: "ASIAXXXXXXXXXXXXXXXX", secretAccessKey: "s", expiration: now.addingTimeInterval(-1), source: "container")
        #expect(DoctorChecks.credentials(.success(expired), profile: Self.profile, now: now).detail.hasSuffix(", expired"))
    }

    @Test func missingCredentialsFailWithTheChainsExplanationOnOneLine() {
        let error = AWSError.credentials("no AWS credentials found for profile prod. Searched:\n  - ~/.aws/credentials (no such file)\n  - ~/.aws/config (no such file)\nSet AWS_ACCESS_KEY_ID.")
        let result = DoctorChecks.credentials(.failure(error), profile: AWSProfileChoice(name: "prod", origin: "the config's aws.profile"), now: Date())
        #expect(result.status == .fail)
        #expect(result.detail == "profile prod (the config's aws.profile): no AWS credentials found for profile prod. Searched: ~/.aws/credentials (no such file); ~/.aws/config (no such file); Set AWS_ACCESS_KEY_ID.")
        #expect(result.fix != nil)
    }

    @Test func theConfigProfileActsLikeDashDashProfile() {
        let vars = ["AWS_PROFILE": "env-profile", "HOME": "/nonexistent"]
        var config = BreakglassConfig()
        #expect(config.awsEnvironment(variables: vars, commandLineProfile: nil).1 == AWSProfileChoice(name: "env-profile", origin: "AWS_PROFILE"))
        #expect(config.awsEnvironment(variables: [:], commandLineProfile: nil).1 == AWSProfileChoice(name: "default", origin: "default"))
        config.aws.profile = "prod"
        let (env, choice) = config.awsEnvironment(variables: vars, commandLineProfile: nil)
        #expect(choice == AWSProfileChoice(name: "prod", origin: "the config's aws.profile"))
        #expect(env.explicitProfile == "prod" && env.profileName == "prod")
        #expect(config.awsEnvironment(variables: vars, commandLineProfile: "cli").1 == AWSProfileChoice(name: "cli", origin: "--profile"))
    }

    // MARK: roles and contacts

    static func role(_ id: String, arn: String = "arn:aws:iam::111122223333:role/db", mfa: Bool = true, serial: String? = nil) -> AccessRole {
        AccessRole(id: id, arn: arn, mfa: mfa, mfaSerial: serial, location: SourceLocation(file: "b.yaml", line: 7, column: 5))
    }

    @Test func roles() {
        #expect(DoctorChecks.roles(AccessSettings(), profile: Self.profile, profileMFASerial: nil) == [.pass("access roles", "none configured; break-glass access is off")])
        let access = AccessSettings(criteria: ["x"], roles: [
            Self.role("a", serial: "arn:aws:iam::111122223333:mfa/ann"),
            Self.role("b", arn: "arn:aws:iam::111122223333:role/ops/db"),
            Self.role("c", mfa: false),
            Self.role("d", arn: "arn:aws:iam::1:role/x"),
        ])
        let results = DoctorChecks.roles(access, profile: Self.profile, profileMFASerial: nil)
        #expect(results.map(\.check) == ["role a", "role b", "role c", "role d"])
        #expect(results.map(\.status) == [.pass, .warn, .pass, .fail])
        #expect(results[0].detail == "IAM role db in account 111122223333, sessions up to 15m, MFA device arn:aws:iam::111122223333:mfa/ann")
        #expect(results[1].detail == "IAM role ops/db in account 111122223333, sessions up to 15m; it needs MFA but no MFA device is named")
        #expect(results[1].fix == "add mfa_serial: arn:aws:iam::ACCOUNT:mfa/NAME to access.roles.b (b.yaml:7:5), or mfa_serial to profile default in ~/.aws/config")
        #expect(results[2].detail.hasSuffix(", no MFA"))
        #expect(results[3].detail == "arn:aws:iam::1:role/x is not an IAM role ARN")
        let fromProfile = DoctorChecks.roles(AccessSettings(criteria: ["x"], roles: [Self.role("b")]), profile: Self.profile, profileMFASerial: "arn:aws:iam::111122223333:mfa/bob")
        #expect(fromProfile == [.pass("role b", "IAM role db in account 111122223333, sessions up to 15m, MFA device arn:aws:iam::111122223333:mfa/bob (profile default)")])
        let noCriteria = DoctorChecks.roles(AccessSettings(roles: [Self.role("c", mfa: false)]), profile: Self.profile, profileMFASerial: nil)
        #expect(noCriteria.map(\.status) == [.warn, .pass])
        #expect(noCriteria[0].check == "access criteria")
    }

    @Test func contactsNeedTheirVariablesSetButNeverShowThem() throws {
        let config = try ConfigLoader.parse(baseConfig, file: "b.yaml")
        let missing = DoctorChecks.contacts(config.contacts, environment: [:])
        #expect(missing == [.warn("contact secondary", "PD_KEY is not set, so the pagerduty channel cannot page Secondary", fix: "export PD_KEY where breakglass runs (the secret stays out of the config file)")])
        let set = DoctorChecks.contacts(config.contacts, environment: ["PD_KEY": "routing-key-value"])
        #expect(set == [.pass("contacts", "2 contacts, 2 channels; every variable they name is set")])
        #expect(!DoctorReport(set).text().contains("routing-key-value"))
        #expect(DoctorChecks.contacts([], environment: [:]).isEmpty)
    }

    // MARK: report

    @Test func reportLinesAlignAndCount() throws {
        let report = DoctorReport([
            .pass("config", "breakglass.yaml"),
            .warn("terminal", "not a tty", fix: "run it in one"),
            .fail("state folder", "/s is mode 0755\u{1B}[31m", fix: "chmod 700 /s"),
        ])
        #expect(report.text() == """
            PASS  config        breakglass.yaml
            WARN  terminal      not a tty  Fix: run it in one
            FAIL  state folder  /s is mode 0755[31m  Fix: chmod 700 /s
            1 passed, 1 warning, 1 failed
            """)
        #expect(report.hasFailure && report.exitStatus == 1)
        #expect(DoctorReport([.warn("a", "b", fix: "c")]).exitStatus == 0)
        #expect(DoctorReport([]).exitStatus == 0)

        let json = try JSON.decode(report.json())
        let items = try #require(json.array)
        #expect(items.count == 3)
        #expect(items[0]["check"]?.string == "config" && items[0]["status"]?.string == "PASS" && items[0]["fix"]?.isNull == true)
        #expect(items[2]["status"]?.string == "FAIL" && items[2]["fix"]?.string == "chmod 700 /s")
        #expect(items.allSatisfy { $0.object?.keys == ["check", "status", "detail", "fix"] })
    }

    @Test func theStoreCheckReportsOpeningPagesAndTheChain() {
        #expect(DoctorChecks.store(nil, path: "/s/state.db").isEmpty)
        let opened = DoctorChecks.StoreFacts(schemaVersion: 1, integrity: "ok", entries: 12, headSeq: 12, chainProblem: nil)
        #expect(DoctorChecks.store(.success(opened), path: "/s/state.db").map(\.status) == [.pass, .pass])
        var tampered = opened
        tampered.chainProblem = "entry 4 was edited: its hash does not match its contents"
        let t = DoctorChecks.store(.success(tampered), path: "/s/state.db")
        #expect(t.map(\.status) == [.pass, .fail] && t[1].detail.contains("entry 4 was edited"))
        var damaged = opened
        damaged.integrity = "*** in database main *** Page 3 is never used"
        let d = DoctorChecks.store(.success(damaged), path: "/s/state.db")
        #expect(d.map(\.status) == [.fail] && d[0].fix?.contains("mv /s/state.db /s/state.db.damaged") == true)
        let refused = DoctorChecks.store(.failure(.init(message: "not a database", fix: "move it")), path: "/s/state.db")
        #expect(refused.map(\.status) == [.fail] && refused[0].detail.contains("cannot be opened: not a database"))
    }
}
