import BreakglassTestSupport
import Foundation
import Testing

/// `breakglass runbook import-ssm`, the real binary: SSM Automation documents in, runbooks out.
@Suite("Runbook import-ssm command")
struct RunbookImportCommandTests {
    /// A folder (in a throwaway home, whose path has a space) to run the binary in.
    final class Workspace {
        let home: TemporaryHome
        let path: String

        init() throws {
            home = try TemporaryHome()
            path = home.path + "/ops"
            try FileManager.default.createDirectory(atPath: path + "/runbooks", withIntermediateDirectories: true)
        }

        func write(_ relative: String, _ text: String) throws {
            try text.write(toFile: path + "/" + relative, atomically: true, encoding: .utf8)
        }

        func read(_ relative: String) -> String? { try? String(contentsOfFile: path + "/" + relative, encoding: .utf8) }

        func run(_ args: [String]) throws -> BreakglassBinary.Result {
            try Subprocess.run(
                "/bin/sh", ["-c", "cd \"$0\" && exec \"$@\"", path, BreakglassBinary.path] + args,
                environment: home.variables(["XDG_CONFIG_HOME": home.path + "/.config", "BREAKGLASS_CONFIG": ""]))
        }
    }

    /// AWS-RebootRdsInstance, in JSON, with an assume role, a branch and a wait.
    static let rebootRDS = #"""
        {
          "schemaVersion": "0.3",
          "description": "Reboot an RDS DB instance and wait until it is available",
          "assumeRole": "{{ AutomationAssumeRole }}",
          "parameters": {
            "InstanceId": { "type": "String", "default": "prod-aurora-1", "allowedPattern": "^[a-z][a-z0-9-]{0,62}$" },
            "AutomationAssumeRole": { "type": "String", "default": "" }
          },
          "mainSteps": [
            {
              "name": "GetInstance",
              "action": "aws:executeAwsApi",
              "inputs": { "Service": "rds", "Api": "describe_db_instances", "DBInstanceIdentifier": "{{ InstanceId }}" },
              "outputs": [{ "Name": "Status", "Selector": "$.DBInstances[0].DBInstanceStatus", "Type": "String" }]
            },
            {
              "name": "IsAvailable",
              "action": "aws:branch",
              "inputs": { "Choices": [{ "NextStep": "Reboot", "Variable": "{{ GetInstance.Status }}", "StringEquals": "available" }], "Default": "Wait" }
            },
            {
              "name": "Reboot",
              "action": "aws:executeAwsApi",
              "description": "Restarts the database. Connections drop for one to three minutes.",
              "inputs": { "Service": "rds", "Api": "RebootDBInstance", "DBInstanceIdentifier": "{{ InstanceId }}" }
            },
            {
              "name": "Wait",
              "action": "aws:waitForAwsResourceProperty",
              "timeoutSeconds": 900,
              "inputs": {
                "Service": "rds", "Api": "DescribeDBInstances", "DBInstanceIdentifier": "{{ InstanceId }}",
                "PropertySelector": "$.DBInstances[0].DBInstanceStatus", "DesiredValues": ["available"]
              }
            }
          ]
        }
        """#

    /// A YAML document with steps that have no Breakglass equivalent.
    static let unconvertible = """
        schemaVersion: '0.3'
        parameters:
          InstanceId: { type: StringList }
        mainSteps:
          - name: stopInstances
            action: aws:changeInstanceState
            inputs: { InstanceIds: '{{ InstanceId }}', DesiredState: stopped }
          - name: describe
            action: aws:executeAwsApi
            inputs: { Service: ec2, Api: DescribeInstances, InstanceIds: '{{ InstanceId }}' }
          - name: runScript
            action: aws:executeScript
            inputs: { Runtime: python3.11, Handler: handler, Script: 'def handler(e, c): pass' }
          - name: tagIt
            action: aws:executeAwsApi
            inputs: { Service: ec2, Api: CreateTags, Resources: ['{{ InstanceId }}'] }
        """

    @Test func convertsADocumentThatThenLintsClean() throws {
        let w = try Workspace()
        try w.write("AWS-RebootRdsInstance.json", Self.rebootRDS)

        let printed = try w.run(["runbook", "import-ssm", "AWS-RebootRdsInstance.json"])
        #expect(printed.status == 0, "\(printed.stderr)")
        #expect(printed.stdout.hasPrefix("# yaml-language-server: $schema=../docs/schemas/runbook.schema.json\n# Imported from the SSM Automation document AWS-RebootRdsInstance.json\n"), "\(printed.stdout)")
        #expect(printed.stdout.contains("\nid: aws-reboot-rds-instance\n"), "\(printed.stdout)")
        #expect(printed.stderr == "breakglass: runbook import-ssm: converted 4 SSM steps into runbook aws-reboot-rds-instance (4 steps)\n")

        let written = try w.run(["runbook", "import-ssm", "AWS-RebootRdsInstance.json", "--id", "rds-reboot-ssm", "--output", "runbooks/rds-reboot-ssm.yaml"])
        #expect(written.status == 0, "\(written.stderr)")
        #expect(written.stdout == "")
        #expect(written.stderr.contains("written to runbooks/rds-reboot-ssm.yaml"), "\(written.stderr)")
        let text = try #require(w.read("runbooks/rds-reboot-ssm.yaml"))
        #expect(text.contains("\nid: rds-reboot-ssm\n"))
        #expect(text == printed.stdout.replacingOccurrences(of: "id: aws-reboot-rds-instance", with: "id: rds-reboot-ssm"))
        // No temporary file is left beside it.
        #expect(try FileManager.default.contentsOfDirectory(atPath: w.path + "/runbooks") == ["rds-reboot-ssm.yaml"])

        let lint = try w.run(["runbook", "lint", "runbooks/rds-reboot-ssm.yaml"])
        #expect(lint.status == 0, "\(lint.stdout)\n\(lint.stderr)")
        #expect(lint.stderr == "breakglass: runbook lint: 1 runbook file, no problems\n")

        let show = try w.run(["runbook", "show", "rds-reboot-ssm"])
        #expect(show.status == 0, "\(show.stderr)")
        let shown = show.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(shown.contains("rds.RebootDBInstance"), "\(show.stdout)")
        #expect(shown.contains(#"If {{steps.GetInstance.DBInstances[0].DBInstanceStatus}} is "available", go on at step 3 (Reboot)."#), "\(show.stdout)")
    }

    @Test func refusesToReplaceAFileUnlessForced() throws {
        let w = try Workspace()
        try w.write("doc.json", Self.rebootRDS)
        try w.write("runbooks/out.yaml", "keep me\n")

        let refused = try w.run(["runbook", "import-ssm", "doc.json", "--output", "runbooks/out.yaml"])
        #expect(refused.status == 2, "\(refused.stderr)")
        #expect(refused.stderr == "breakglass: error: runbooks/out.yaml already exists; use --force to replace it\n")
        #expect(w.read("runbooks/out.yaml") == "keep me\n")

        let forced = try w.run(["runbook", "import-ssm", "doc.json", "--output", "runbooks/out.yaml", "--force"])
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(w.read("runbooks/out.yaml")?.contains("\nid: doc\n") == true)
        #expect(try FileManager.default.contentsOfDirectory(atPath: w.path + "/runbooks") == ["out.yaml"])

        let noFolder = try w.run(["runbook", "import-ssm", "doc.json", "--output", "missing/out.yaml"])
        #expect(noFolder.status == 2)
        #expect(noFolder.stderr == "breakglass: error: cannot write missing/out.yaml: No such file or directory\n", "\(noFolder.stderr)")
    }

    @Test func listsEveryStepThatCannotBeConvertedAndWritesNothing() throws {
        let w = try Workspace()
        try w.write("restart.yaml", Self.unconvertible)
        let result = try w.run(["runbook", "import-ssm", "restart.yaml", "--output", "runbooks/restart.yaml"])
        #expect(result.status == 1, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout == "")
        #expect(result.stderr == """
            breakglass: error: restart.yaml:6:13: mainSteps[0] (stopInstances): aws:changeInstanceState has no Breakglass equivalent; write it as aws:executeAwsApi (ec2 StopInstances or StartInstances) followed by aws:waitForAwsResourceProperty on DescribeInstances
            breakglass: error: restart.yaml:12:13: mainSteps[2] (runScript): aws:executeScript runs a Python or PowerShell script inside SSM; a Breakglass runbook does not run scripts (make each API call an aws:executeAwsApi step, or write the check in a `say` step)
            breakglass: error: restart.yaml:16:34: mainSteps[3] (tagIt): ec2.CreateTags is not in Breakglass's catalog (ec2 has DescribeInstances, DescribeInstanceStatus, RebootInstances, StopInstances, StartInstances, RunInstances)
            breakglass: runbook import-ssm: 3 steps cannot be converted; nothing was written

            """)
        #expect(w.read("runbooks/restart.yaml") == nil)
        #expect(try FileManager.default.contentsOfDirectory(atPath: w.path + "/runbooks") == [])
    }

    @Test func aBrokenDocumentExitsTwoWithFileLineAndColumn() throws {
        let w = try Workspace()
        try w.write("broken.yaml", "schemaVersion: '2.2'\nmainSteps:\n  - name: run\n    inputs: {}\n")
        let broken = try w.run(["runbook", "import-ssm", "broken.yaml"])
        #expect(broken.status == 2)
        #expect(broken.stdout == "")
        #expect(broken.stderr == """
            breakglass: error: broken.yaml:1:16: schemaVersion: expected schemaVersion 0.3 (an Automation document), found 2.2; import-ssm converts Automation documents only, not Command (2.2) or other document types
            breakglass: error: broken.yaml:3:5: mainSteps[0]: missing required key `action`

            """)

        try w.write("syntax.json", "{\"schemaVersion\": \"0.3\",\n  \"mainSteps\": [\n}\n")
        let syntax = try w.run(["runbook", "import-ssm", "syntax.json"])
        #expect(syntax.status == 2)
        #expect(syntax.stderr.hasPrefix("breakglass: error: syntax.json:3:1: YAML syntax: "), "\(syntax.stderr)")

        let missing = try w.run(["runbook", "import-ssm", "nothing-here.json"])
        #expect(missing.status == 2)
        #expect(missing.stderr == "breakglass: error: nothing-here.json: cannot read the file: No such file or directory\n")

        try w.write("ok.json", Self.rebootRDS)
        let badID = try w.run(["runbook", "import-ssm", "ok.json", "--id", "not an id"])
        #expect(badID.status == 2)
        #expect(badID.stderr == "breakglass: error: ok.json: the runbook id `not an id` may use only letters, digits, - and _ (and must start with a letter or digit); give one with --id\n")
    }
}
