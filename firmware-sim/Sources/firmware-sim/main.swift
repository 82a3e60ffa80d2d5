// firmware-sim: the thin executable around MinnowSimulator (all logic and
// tests live in the library). When the model-file reader and the int8 engine
// run exist, register them here or in the library:
//   SimulatorHooks.installed.modelFileReader = { path in ... LoadedModel(...) }
//   SimulatorHooks.installed.modelRunner = { request in ... MeasuredRun(...) }
//   SimulatorHooks.installed.scratchBytes = { layer in ... }   // the engine's scratch size query
//   SimulatorHooks.installed.qemuProfiler = { path in ... }    // --qemu: profile.sh's JSON lines
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MinnowSimulator

let result = FirmwareSim.execute(Array(CommandLine.arguments.dropFirst()))
if !result.stdout.isEmpty { fputs(result.stdout, stdout); fflush(stdout) }
if !result.stderr.isEmpty { fputs(result.stderr, stderr) }
exit(result.status)
