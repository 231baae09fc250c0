import ArgumentParser
import BreakglassCore
import BreakglassTUI
import Foundation

// Themes and keys for the console (issue 7): owned by the themes helper.

/// How the console looks and which keys it takes: the theme (--theme, else the configuration's
/// `console.theme`, else the built-in default), the colour policy (`console.color`), and the keymap
/// after `console.keys`. Every problem is reported at once, each where it was written.
struct ConsoleLook: Sendable {
    var theme: Theme?
    var colorPolicy: ColorPolicy = .auto
    var keymap: Keymap = .console

    /// `name` is --theme as given (a theme's name or a theme file's path, relative to the current
    /// folder); a `console.theme` path is relative to the configuration's folder. Throws
    /// `SourceErrors` (printed as `file:line:column: field: message`, exit 2).
    static func resolve(
        theme name: String?, config: BreakglassConfig,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        currentDirectory: String = FileManager.default.currentDirectoryPath
    ) throws(SourceErrors) -> ConsoleLook {
        var look = ConsoleLook()
        var errors: [SourceError] = []
        let lookup = ThemeLookup(currentDirectory: currentDirectory, configFile: config.file, environment: environment)
        do {
            if let name {
                look.theme = try lookup.theme(name, location: .file("--theme"))
            } else if let configured = config.console.theme {
                let folder = config.file.map { (ConfigLocator.absolute($0, in: currentDirectory) as NSString).deletingLastPathComponent }
                look.theme = try lookup.theme(
                    configured.value, base: folder, location: configured.location, field: FieldPath([.key("console"), .key("theme")]))
            }
        } catch {
            errors += error.errors
        }
        look.colorPolicy = ColorPolicy(config.console.color)
        do {
            look.keymap = try Keymap.console.applying(config.console.keys)
        } catch {
            errors += error.errors
        }
        if !errors.isEmpty { throw SourceErrors(errors) }
        return look
    }
}
