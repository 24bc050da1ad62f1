namespace Loyalty.Tests.Infrastructure;

/// <summary>Tests that run with no other test beside them: heavy ones, and those that read what the app exports, since
/// OpenTelemetry listens to activity sources and meters by name in the whole process, other tests' apps included.</summary>
[CollectionDefinition(DisableParallelization = true)]
public sealed class RunsAlone;
