using System.Diagnostics;
using Loyalty.Functions.Telemetry;
using Microsoft.Extensions.Configuration;

namespace Loyalty.Tests.Telemetry;

public sealed class TraceSamplingTests
{
    [Fact]
    public void FixedPercentage_KeepsTheTracesWhoseScoreIsBelowTheRatio_AndSaysWhichShare()
    {
        var sampling = Sampling(TraceSampling.FixedPercentage, "0.25");
        var ids = Enumerable.Range(0, 4000).Select(_ => ActivityTraceId.CreateRandom()).ToList();

        var draws = ids.Select(sampling.Draw).ToList();

        Assert.All(ids.Zip(draws), d => Assert.Equal(TraceSampling.Score(d.First) < 0.25, d.Second.Kept));
        Assert.All(draws, d => Assert.Equal(25, d.Percentage, 6));
        Assert.InRange(draws.Count(d => d.Kept), 800, 1200);
    }

    [Fact]
    public void RateLimited_UnderABurst_KeepsAShareThatFallsWithTheLoad()
    {
        var sampling = Sampling(TraceSampling.RateLimited, "2");

        var first = sampling.Draw(ActivityTraceId.CreateRandom());
        var burst = Enumerable.Range(0, 2000).Select(_ => sampling.Draw(ActivityTraceId.CreateRandom())).ToList();

        Assert.Equal((true, 100), first);
        Assert.True(burst[^1].Percentage < 1, $"after 2,000 traces at once, {burst[^1].Percentage} % are still kept");
        Assert.InRange(burst.Count(d => d.Kept), 1, 200);
    }

    [Fact]
    public void Default_IsTheExportersRateLimit()
    {
        Assert.Equal($"{TraceSampling.RateLimited} 5/s", Sampling(null, null).Description);
    }

    [Theory]
    [InlineData("always_on", null, TraceSampling.SamplerSetting)]
    [InlineData(TraceSampling.FixedPercentage, "1.5", TraceSampling.ArgumentSetting)]
    [InlineData(TraceSampling.RateLimited, "-1", TraceSampling.ArgumentSetting)]
    [InlineData(TraceSampling.RateLimited, "many", TraceSampling.ArgumentSetting)]
    public void InvalidSettings_FailNamingTheSetting(string? sampler, string? argument, string named)
    {
        var error = Assert.Throws<InvalidOperationException>(() => Sampling(sampler, argument));
        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }

    private static TraceSampling Sampling(string? sampler, string? argument) =>
        TraceSampling.FromConfiguration(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [TraceSampling.SamplerSetting] = sampler,
            [TraceSampling.ArgumentSetting] = argument,
        }).Build());
}
