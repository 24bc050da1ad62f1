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

/// <summary>Runs every curl example of the README in order, from an empty store (its own Azurite), and checks the status
/// and the JSON the README shows after each, so that the README cannot drift from the app.</summary>
public sealed class ReadmeCurlExamplesTests(PrivateAzurite azurite) : IClassFixture<PrivateAzurite>
{
    [Fact]
    public Task ReadmeCurlExamples_AnswerAsShown() =>
        ReadmeExample.RunCurlExamplesOnShippedProgramAsync(azurite, new DateTimeOffset(2026, 11, 24, 13, 22, 11, 60, TimeSpan.Zero), minimumSteps: 20);
}
