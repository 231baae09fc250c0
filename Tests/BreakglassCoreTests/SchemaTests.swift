import BreakglassAWS
import BreakglassCore
import BreakglassTestSupport
import Foundation
import Testing

/// docs/schemas: valid JSON Schema documents that cannot drift from what the loaders accept.
@Suite("JSON schemas")
struct SchemaTests {
    static let schemas = repositoryRoot.appendingPathComponent("docs/schemas")

    static func schema(_ name: String) throws -> AWSValue {
        let data = try Data(contentsOf: schemas.appendingPathComponent("\(name).schema.json"))
        return try JSON.decode(Array(data))
    }

    @Test(arguments: ["config", "runbook", "theme"])
    func isDraft202012JSON(_ name: String) throws {
        let schema = try Self.schema(name)
        #expect(schema["$schema"]?.string == "https://json-schema.org/draft/2020-12/schema")
        #expect(schema["title"]?.string?.isEmpty == false)
        #expect(schema["properties"]?.object?.isEmpty == false)
        // Every `$ref` points at a definition that exists.
        let defs = Set(schema["$defs"]?.object?.keys ?? [])
        for ref in Self.refs(in: schema) {
            #expect(ref.hasPrefix("#/$defs/") && defs.contains(String(ref.dropFirst("#/$defs/".count))), "\(name): \(ref)")
        }
    }

    static func refs(in value: AWSValue) -> [String] {
        switch value {
        case .object(let o): return o.flatMap { key, v in key == "$ref" ? [v.string ?? ""] : refs(in: v) }
        case .array(let a): return a.flatMap(refs(in:))
        default: return []
        }
    }

    /// Unknown keys are errors in every file, so every schema object with fixed keys says
    /// `additionalProperties: false`; maps of user-named entries give a schema for the entries. Only
    /// AWS inputs and expectations are free-form.
    @Test(arguments: ["config", "runbook", "theme"])
    func unknownKeysAreRefusedEverywhere(_ name: String) throws {
        let freeForm: Set<String> = ["$defs.with", "$defs.expectations", "$defs.step.oneOf[7].properties.query.properties.key"]
        var checked = 0
        func walk(_ value: AWSValue, _ path: String) {
            switch value {
            case .object(let o):
                let isObjectSchema = o["type"]?.string == "object" || o["type"]?.array?.contains(.string("object")) == true || o["properties"] != nil
                // `if` only tests properties; it does not define an object.
                let isCondition = path.hasSuffix(".if") || path == "if"
                if isObjectSchema && !isCondition && !freeForm.contains(path) {
                    checked += 1
                    if o["properties"] != nil {
                        #expect(o["additionalProperties"] == .bool(false), "\(name): \(path) has fixed keys but does not refuse others")
                    } else {
                        #expect(o["additionalProperties"]?.object != nil, "\(name): \(path) is an object with neither fixed keys nor an entry schema")
                    }
                }
                for (key, child) in o { walk(child, path.isEmpty ? key : "\(path).\(key)") }
            case .array(let a):
                for (i, child) in a.enumerated() { walk(child, "\(path)[\(i)]") }
            default:
                break
            }
        }
        walk(try Self.schema(name), "")
        #expect(checked >= 3)
    }

    @Test func configSchemaTopLevelKeysAreTheLoadersKeys() throws {
        let keys = try #require(try Self.schema("config")["properties"]?.object?.keys)
        #expect(keys == BreakglassConfig.topLevelKeys)
    }

    /// For each section, the keys the loader accepts (it lists them when it meets an unknown key
    /// with no near match) are exactly the schema's properties there.
    @Test(arguments: [
        ("zzzzzz: 1", "properties"),
        ("aws: { zzzzzz: 1 }", "properties.aws.properties"),
        ("contacts: { c: { zzzzzz: 1 } }", "$defs.contact.properties"),
        ("contacts: { c: { pagerduty: { zzzzzz: 1 } } }", "$defs.contact.properties.pagerduty.properties"),
        ("contacts: { c: { slack: { zzzzzz: 1 } } }", "$defs.contact.properties.slack.properties"),
        ("contacts: { c: { webhook: { zzzzzz: 1 } } }", "$defs.contact.properties.webhook.properties"),
        ("escalation: { p: { zzzzzz: 1 } }", "$defs.plan.properties"),
        ("escalation: { p: { stages: [ { zzzzzz: 1 } ] } }", "$defs.stage.properties"),
        ("response: [ { zzzzzz: 1 } ]", "$defs.rule.properties"),
        ("response: [ { match: { zzzzzz: 1 } } ]", "$defs.rule.properties.match.properties"),
        ("access: { zzzzzz: 1 }", "properties.access.properties"),
        ("access: { roles: { r: { zzzzzz: 1 } } }", "$defs.role.properties"),
        ("audit: { zzzzzz: 1 }", "properties.audit.properties"),
        ("audit: { cloudwatch_logs: { zzzzzz: 1 } }", "properties.audit.properties.cloudwatch_logs.properties"),
        ("console: { zzzzzz: 1 }", "properties.console.properties"),
    ])
    func configSchemaKeysAreTheLoadersKeysInEverySection(_ yaml: String, _ schemaPath: String) throws {
        var node: AWSValue? = try Self.schema("config")
        for part in schemaPath.split(separator: ".") { node = node?[String(part)] }
        let schemaKeys = try #require(node?.object?.keys, "\(schemaPath)")
        let message = try #require(configErrors(yaml).first { $0.message.hasPrefix("unknown key `zzzzzz`") }?.message, "\(yaml)")
        #expect(message.contains("expected one of: "), "\(message)")
        let listed = message.components(separatedBy: "expected one of: ").last ?? ""
        #expect(Set(listed.components(separatedBy: ", ")) == Set(schemaKeys), "\(yaml)")
    }

    // MARK: Validation with python3's jsonschema, when this machine has it

    static let hasPythonJSONSchema: Bool = {
        let probe = try? Subprocess.run("/usr/bin/env", ["python3", "-c", "import jsonschema, yaml"], timeout: 30)
        return probe?.status == 0
    }()

    /// Validates each document against a schema with python3's jsonschema (documents read with
    /// PyYAML); returns, per document, the error messages.
    static func validate(_ schema: String, _ documents: [String]) throws -> [[String]] {
        let script = """
            import json, sys, yaml
            from jsonschema import Draft202012Validator
            schema = json.load(open(sys.argv[1]))
            Draft202012Validator.check_schema(schema)
            validator = Draft202012Validator(schema)
            print(json.dumps([[e.message for e in validator.iter_errors(yaml.safe_load(open(p)))] for p in sys.argv[2:]]))
            """
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bg-schema-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var paths: [String] = []
        for (i, document) in documents.enumerated() {
            let path = dir.appendingPathComponent("\(i).yaml").path
            try document.write(toFile: path, atomically: true, encoding: .utf8)
            paths.append(path)
        }
        let result = try Subprocess.run("/usr/bin/env", ["python3", "-c", script, Self.schemas.appendingPathComponent("\(schema).schema.json").path] + paths, timeout: 60)
        try #require(result.status == 0, "\(result.stderr)")
        let decoded = try JSON.decode(result.stdout)
        return (decoded.array ?? []).map { ($0.array ?? []).compactMap(\.string) }
    }

    @Test(.enabled(if: hasPythonJSONSchema, "python3 with jsonschema and PyYAML is not installed"))
    func theExampleAndTheDesignsSamplesValidate() throws {
        let example = try String(contentsOfFile: repositoryRoot.appendingPathComponent("docs/examples/breakglass.yaml").path, encoding: .utf8)
        let typo = example.replacingOccurrences(of: "escalation:\n  default:", with: "escalaton:\n  default:")
        let badDuration = example.replacingOccurrences(of: "wait: 10m", with: "wait: 10 minutes")
        let config = try Self.validate("config", [example, typo, badDuration])
        #expect(config[0] == [], "the example must be valid")
        #expect(config[1].contains { $0.contains("'escalaton' was unexpected") }, "\(config[1])")
        #expect(!config[2].isEmpty)

        let runbook = """
            id: rds-failover
            title: Fail over the primary database
            when: The writer is unhealthy and at least one replica is healthy.
            access: db-break-glass
            params:
              cluster: { default: prod-aurora, pattern: "^[a-z0-9-]+$" }
            steps:
              - say: Open the Alarms view and check that prod-db-writer-health is red.
              - check:
                  call: rds.DescribeDBClusters
                  with: { DBClusterIdentifier: "{{cluster}}" }
                  expect: { "DBClusters[0].Status": available }
              - do:
                  call: rds.FailoverDBCluster
                  with: { DBClusterIdentifier: "{{cluster}}" }
                  confirm: type
                  explain: Swaps the writer. Open connections drop for about 30 seconds.
              - wait:
                  call: rds.DescribeDBClusters
                  with: { DBClusterIdentifier: "{{cluster}}" }
                  until: { "DBClusters[0].Status": available }
                  timeout: 10m
              - wait_alarm: { name: prod-db-writer-health, state: OK, timeout: 15m }
              - id: find
                query: { table: orders, key: { pk: "{{cluster}}" }, limit: 10 }
              - approve: { explain: The orders above are the stuck ones. }
              - page: { reason: Still failing after failover }
            """
        let scanWithoutReason = runbook + "\n  - query: { table: orders, scan: true, limit: 5 }\n"
        let twoKinds = runbook + "\n  - { say: a, page: { reason: b } }\n"
        let runbooks = try Self.validate("runbook", [runbook, scanWithoutReason, twoKinds])
        #expect(runbooks[0] == [], "\(runbooks[0])")
        #expect(!runbooks[1].isEmpty && !runbooks[2].isEmpty)

        // Every shipped theme validates; an unknown role and an out-of-range colour do not.
        for name in ["default", "high-contrast", "monochrome", "colorblind"] {
            let text = try String(contentsOfFile: repositoryRoot.appendingPathComponent("themes/\(name).yaml").path, encoding: .utf8)
            let results = try Self.validate("theme", [
                text, text + "  alarm_red: { fg: red, bg: default, attrs: [] }\n",
                text.replacingOccurrences(of: "  muted:", with: "  muted: { fg: 300, bg: default, attrs: [] }\n  unused:"),
            ])
            #expect(results[0] == [], "themes/\(name).yaml: \(results[0])")
            #expect(results[1].contains { $0.contains("'alarm_red' was unexpected") }, "\(results[1])")
            #expect(!results[2].isEmpty)
        }
    }
}
