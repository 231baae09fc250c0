import BreakglassFuzz
import Foundation

// Two builds of one file (docs/FUZZING.md):
//
// - scripts/fuzz.sh builds it with `-sanitize=fuzzer,address -DBREAKGLASS_LIBFUZZER`: libFuzzer
//   supplies `main` and calls `LLVMFuzzerTestOneInput` for every input; BREAKGLASS_FUZZ_TARGET names
//   the target. A clear-error violation aborts, so libFuzzer saves the input as a crash.
// - The normal build (`swift build`) makes a replay tool instead: `breakglass-fuzz TARGET FILE...`
//   prints what the target makes of each file, and exits 1 when one gives an unclear error. It is how
//   a crash artifact is looked at without the sanitizers.

#if BREAKGLASS_LIBFUZZER

/// Read once; libFuzzer calls the entry point millions of times.
let selectedTarget: FuzzTarget = {
    let name = ProcessInfo.processInfo.environment["BREAKGLASS_FUZZ_TARGET"] ?? ""
    guard let target = FuzzTarget(rawValue: name) else {
        let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
        FileHandle.standardError.write(Data("breakglass-fuzz: set BREAKGLASS_FUZZ_TARGET to one of \(names)\n".utf8))
        exit(2)
    }
    return target
}()

/// libFuzzer's entry for programs that have their own `main`.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// SwiftPM links an executable target with `main` defined as `<module>_main` (so tests can link the
/// module), which displaces libFuzzer's own `main`; this is that function, and it hands over to
/// libFuzzer's driver.
@_cdecl("breakglass_fuzz_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return withUnsafeMutablePointer(to: &count) { countPointer in
        withUnsafeMutablePointer(to: &arguments) { argumentsPointer in
            LLVMFuzzerRunDriver(countPointer, argumentsPointer, fuzzOneInput)
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    do {
        _ = try Fuzz.run(selectedTarget, bytes)
    } catch {
        FileHandle.standardError.write(Data("breakglass-fuzz: unclear error: \(error)\n".utf8))
        abort()
    }
    return 0
}

#else

@main
enum FuzzReplay {
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")
        guard let first = arguments.first, let target = FuzzTarget(rawValue: first), arguments.count > 1 else {
            FileHandle.standardError.write(Data("usage: breakglass-fuzz \(names) FILE...\n".utf8))
            exit(2)
        }
        var failed = false
        for path in arguments.dropFirst() {
            guard let data = FileManager.default.contents(atPath: path) else {
                print("\(path): cannot read the file")
                failed = true
                continue
            }
            do {
                switch try Fuzz.run(target, Array(data)) {
                case .accepted: print("\(path): accepted")
                case .rejected(let message): print("\(path): rejected: \(message.debugDescription)")
                }
            } catch {
                print("\(path): UNCLEAR: \(error)")
                failed = true
            }
        }
        exit(failed ? 1 : 0)
    }
}

#endif
