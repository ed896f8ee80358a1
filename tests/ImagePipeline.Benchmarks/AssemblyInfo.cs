using System.Runtime.Versioning;

// posix_spawnp, wait4 and /proc: Linux only (Program refuses to start elsewhere).
[assembly: SupportedOSPlatform("linux")]
