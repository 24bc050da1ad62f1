using Loyalty.Domain.Program;
using Loyalty.Functions.Hosting;
using Microsoft.Extensions.Configuration;

namespace Loyalty.Tests.Domain;

public sealed class ProgramFileTests
{
    private static ProgramDefinition Load(string path) =>
        ProgramFile.Load(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [ProgramFile.SettingName] = path }).Build());

    [Fact]
    public void ReadmeProgramExample_IsTheShippedFile()
    {
        var readme = File.ReadAllText(Path.Combine(Infrastructure.RepoRoot.Path, "README.md"));
        var example = System.Text.RegularExpressions.Regex.Match(
            readme, "The shipped file is a complete example:\n\n```jsonc\n(.*?)```", System.Text.RegularExpressions.RegexOptions.Singleline);

        Assert.True(example.Success, "README.md shows the shipped program.json");
        Assert.Equal(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "program.json")).Trim(), example.Groups[1].Value.Trim());
    }

    [Fact]
    public void ShippedProgram_IsValidAndHasTiersBonusesAndRewards()
    {
        var program = Load(Path.Combine(AppContext.BaseDirectory, "program.json"));

        Assert.Equal(["member", "silver", "gold"], program.Tiers.Levels.Select(l => l.Id));
        Assert.Equal(TierMetric.Spend, program.Tiers.QualifyBy);
        Assert.NotEmpty(program.Bonuses.Promotions);
        Assert.Equal(500, program.Bonuses.Referral!.Points);
        Assert.Contains(program.Rewards, r => r.Kind == RewardKind.Charity);
        Assert.Equal("金卡", program.Tiers.Levels[2].Name["zh-CN"]);
    }

    [Fact]
    public void Load_InvalidProgram_FailsNamingEveryFault()
    {
        var path = Path.GetTempFileName();
        File.WriteAllText(path, """{ "name": "", "currencies": { "XYZ": { "pointsPerUnit": 0 } }, "tiers": { "levels": [ { "id": "a", "threshold": 10 } ] } }""");
        try
        {
            var e = Assert.Throws<InvalidOperationException>(() => Load(path));

            Assert.Contains("name: required", e.Message, StringComparison.Ordinal);
            Assert.Contains("currencies.XYZ: not an ISO 4217 currency code", e.Message, StringComparison.Ordinal);
            Assert.Contains("tiers.levels[0].threshold", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task App_WithABadProgramFile_StopsWithTheFaultsAndNoStackTrace()
    {
        var path = Path.GetTempFileName();
        File.WriteAllText(path, """{ "name": "", "currencies": { "XYZ": { "pointsPerUnit": 0 } } }""");
        try
        {
            var start = new System.Diagnostics.ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "Loyalty.Functions.dll"), "--urls", "http://127.0.0.1:0"])
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
                Environment =
                {
                    [ProgramFile.SettingName] = path,
                    ["LOYALTY_PHONE_KEY"] = "a-phone-key-of-16-characters",
                    ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true",
                },
            };
            using var app = System.Diagnostics.Process.Start(start)!;
            var output = app.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
            var errors = await app.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
            await app.WaitForExitAsync(TestContext.Current.CancellationToken);

            Assert.Equal(1, app.ExitCode);
            Assert.Contains("currencies.XYZ: not an ISO 4217 currency code", errors, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", errors + await output, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Load_UnknownField_FailsNamingIt()
    {
        var path = Path.GetTempFileName();
        File.WriteAllText(path, """{ "name": "x", "currencies": { "USD": {} }, "pionts": {} }""");
        try
        {
            var e = Assert.Throws<InvalidOperationException>(() => Load(path));

            Assert.Contains("pionts", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
