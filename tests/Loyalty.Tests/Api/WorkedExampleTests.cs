using Loyalty.Tests.Infrastructure;

namespace Loyalty.Tests.Api;

/// <summary>Replays the worked example of the README ("A member's year") against the app running the shipped
/// program, with the clock at each step's time, and checks every status and field it shows.</summary>
public sealed class WorkedExampleTests(PrivateAzurite azurite) : IClassFixture<PrivateAzurite>
{
    [Fact]
    public Task ReadmeWorkedExample_HoldsStepByStep() => ReadmeExample.RunOnShippedProgramAsync(azurite, "worked-example", minimumSteps: 10);
}

/// <summary>Replays "At the till" of the README, the cashier's flow end to end, from an empty store (its own Azurite).</summary>
public sealed class TillExampleTests(PrivateAzurite azurite) : IClassFixture<PrivateAzurite>
{
    [Fact]
    public Task ReadmeTillExample_HoldsStepByStep() => ReadmeExample.RunOnShippedProgramAsync(azurite, "till-example", minimumSteps: 8);
}
