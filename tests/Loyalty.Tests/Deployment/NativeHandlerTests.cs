using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using Loyalty.Adapters.Storage;
using Loyalty.Functions.Http;
using Loyalty.Tests.Events;
using Loyalty.Functions.Telemetry;
using Loyalty.Tests.Infrastructure;
using Loyalty.Tests.Telemetry;

namespace Loyalty.Tests.Deployment;

/// <summary>The handler as it is deployed: the Native AOT executable that eng/package.sh publishes (eng/test.sh runs it
/// before the tests), started as its own process against the test run's Azurite. The rest of the suite runs the same
/// code JIT-compiled in the test process, where the serializer also has nothing but its generated code; what only the
/// native build can break (trimming, code the compiler could not see) shows here: the API, its documents, a refusal's
/// figures, the export's polymorphic operations, the events published to an Event Grid topic, telemetry sent to
/// Application Insights, a trigger invocation and a queued purchase.</summary>
public sealed class NativeHandlerTests(Azurite azurite) : IAsyncLifetime
{
    public static readonly string Executable = Path.Combine(RepoRoot.Path, "artifacts", "publish", "linux-x64", "Loyalty.Functions");

    private const string Key = "native-handler-test-key";

    private readonly StringWriter output = new();
    private FunctionAppFolder? folder;
    private FakeEventGridTopic? topic;
    private FakeIngestion? ingestion;
    private Process? process;
    private HttpClient client = null!;
    private Azure.Storage.Queues.QueueClient queue = null!;

    public async ValueTask InitializeAsync()
    {
        if (!File.Exists(Executable))
        {
            throw new InvalidOperationException($"{Executable} does not exist: run 'bash eng/package.sh' (eng/test.sh does).");
        }

        (queue, _) = await TestQueues.CreateAsync(azurite);
        folder = FunctionAppFolder.Create().WithPurchaseQueue(queue.Name);
        topic = await FakeEventGridTopic.StartAsync();
        ingestion = await FakeIngestion.StartAsync();
        var port = FreePort();
        var start = new ProcessStartInfo(Executable) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add($"http://127.0.0.1:{port}");
        start.Environment[StorageAccount.SettingName] = azurite.ConnectionString;
        start.Environment[PhoneKeys.CurrentSetting] = TestKeys.PhoneSecret;
        start.Environment[ApiKey.SettingName] = Key;
        start.Environment["LOYALTY_PROGRAM_FILE"] = Path.Combine(AppContext.BaseDirectory, "Fixtures", "program.plain.json");
        start.Environment["TriggerRunner__AppRoot"] = folder.Path;
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        start.Environment[TelemetrySetup.ConnectionStringSetting] = ingestion.ConnectionString;
        start.Environment["AzureMonitorExporter__DisableOfflineStorage"] = "true";
        foreach (var (name, value) in topic.Settings())
        {
            start.Environment[name.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => Write(e.Data);
        process.ErrorDataReceived += (_, e) => Write(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        client.DefaultRequestHeaders.Add(ApiKey.HeaderName, Key);
        await Eventually.TrueAsync(
            async () =>
            {
                if (process.HasExited)
                {
                    Assert.Fail($"the handler exited ({process.ExitCode}):\n{Output}");
                }

                try
                {
                    using var health = await client.GetAsync("/api/health");
                    return health.StatusCode == HttpStatusCode.OK;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            },
            "the native handler answers its health check");
    }

    public async ValueTask DisposeAsync()
    {
        if (process is { HasExited: false })
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        // What the handler printed (warnings and errors), for a test that failed.
        TestContext.Current.TestOutputHelper?.WriteLine(Output);

        process?.Dispose();
        client.Dispose();
        folder?.Dispose();
        if (topic is not null)
        {
            await topic.DisposeAsync();
        }

        if (ingestion is not null)
        {
            await ingestion.DisposeAsync();
        }
    }

    private string Output
    {
        get
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }

    [Fact]
    public async Task Members_Purchases_Refusals_AndTheirProblems_WorkAsInTheTests()
    {
        var member = A.Id("native");
        var phone = $"+1425555{Random.Shared.Next(2000, 10000)}";
        using (var put = await client.PutAsJsonAsync($"/api/members/{member}", new { firstName = "Ana", timeZone = "Europe/London", phone }))
        {
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }

        var purchaseId = A.Id("p");
        var purchase = new { purchaseId, memberId = member, amount = 125.50m, currency = "USD", occurredAt = TimeProvider.System.GetUtcNow().AddMinutes(-5) };
        JsonNode created;
        using (var post = await client.PostAsJsonAsync("/api/purchases", purchase))
        {
            Assert.Equal(HttpStatusCode.Created, post.StatusCode);
            created = (await post.Content.ReadFromJsonAsync<JsonNode>())!;
        }

        var earned = created["pointsEarned"]!.GetValue<long>();
        Assert.True(earned > 0, created.ToJsonString());
        using (var replay = await client.PostAsJsonAsync("/api/purchases", purchase))
        {
            Assert.Equal(HttpStatusCode.OK, replay.StatusCode);
            Assert.Equal(created.ToJsonString(), (await replay.Content.ReadFromJsonAsync<JsonNode>())!.ToJsonString());
        }

        using (var conflict = await client.PostAsJsonAsync("/api/purchases", purchase with { amount = 1m }))
        {
            Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
            Assert.Equal("application/problem+json", conflict.Content.Headers.ContentType?.MediaType);
        }

        Assert.Equal(earned, await client.BalanceAsync(member));
        await Eventually.TrueAsync(
            () => Task.FromResult(topic!.Received.Any(e => e.Member == member && e.Type == "loyalty.points.earned")),
            "the purchase's event reaches the topic");
        Assert.Empty(topic!.Refused);
        var published = topic.Received.Where(e => e.Member == member).ToList();
        Assert.Equal("loyalty.member.enrolled", published[0].Type);
        Assert.Equal(earned, published.Single(e => e.Type == "loyalty.points.earned").Data.GetProperty("points").GetInt64());
        using (var byPhone = await client.GetAsync($"/api/members?phone={Uri.EscapeDataString(phone)}"))
        {
            Assert.Equal(HttpStatusCode.OK, byPhone.StatusCode);
            Assert.Equal(member, (await byPhone.Content.ReadFromJsonAsync<JsonNode>())!["memberId"]!.GetValue<string>());
        }

        using (var malformed = await client.PostAsync("/api/purchases", JsonContent.Create(new { purchaseId = A.Id("p"), memberId = member, amount = "abc", currency = 5 })))
        {
            Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
            Assert.Equal("application/problem+json", malformed.Content.Headers.ContentType?.MediaType);
            var errors = (await malformed.Content.ReadFromJsonAsync<JsonNode>())!["errors"]!.AsObject();
            Assert.Contains("amount", errors.Select(e => e.Key));
            Assert.Contains("currency", errors.Select(e => e.Key));
        }

        // A refusal carries its figures (numbers of the rules) as members of the problem.
        using (var refused = await client.PostAsJsonAsync($"/api/members/{member}/holds", new { holdId = A.Id("h"), points = earned + 1 }))
        {
            Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
            var problem = (await refused.Content.ReadFromJsonAsync<JsonNode>())!;
            Assert.Equal(earned, problem["balance"]!.GetValue<long>());
            Assert.Equal(earned + 1, problem["required"]!.GetValue<long>());
        }

        using (var unknown = await client.GetAsync($"/api/members/{A.Id("nobody")}"))
        {
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        }

        using (var keyless = new HttpClient { BaseAddress = client.BaseAddress })
        using (var refusedKey = await keyless.GetAsync($"/api/members/{member}"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refusedKey.StatusCode);
        }

        // The export lists every operation by its kind (a polymorphic type), the consent record with it.
        using var export = await client.GetAsync($"/api/members/{member}/export");
        Assert.Equal(HttpStatusCode.OK, export.StatusCode);
        var operations = (await export.Content.ReadFromJsonAsync<JsonNode>())!["operations"]!.AsArray();
        Assert.Contains(operations, o => o!["kind"]!.GetValue<string>() == "purchase" && o["id"]!.GetValue<string>() == purchaseId);
    }

    [Fact]
    public async Task Telemetry_ReachesApplicationInsights()
    {
        using (var health = await client.GetAsync($"/api/members/{A.Id("nobody")}"))
        {
            Assert.Equal(HttpStatusCode.NotFound, health.StatusCode);
        }

        await Eventually.TrueAsync(() => ingestion!.Of("Request").Count > 0, "the handler's requests reach ingestion");
    }

    /// <summary>The native handler describes its API and events exactly as the JIT-compiled one the other tests check.</summary>
    [Fact]
    public async Task TheDocuments_AreTheJitCompiledHandlers()
    {
        await using var jit = new LoyaltyApp(azurite);
        var jitClient = await jit.StartAsync();
        foreach (var path in new[] { ApiContract.DocumentPath, "/api/asyncapi.json" })
        {
            var native = await DocumentAsync(client, path);
            var expected = await DocumentAsync(jitClient, path);
            Assert.True(JsonNode.DeepEquals(expected, native), $"{path} differs:\n{native.ToJsonString()}");
        }

        Assert.Contains("/api/purchases", (await DocumentAsync(client, ApiContract.DocumentPath))["paths"]!.AsObject().Select(p => p.Key));
    }

    private static async Task<JsonNode> DocumentAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var document = (await response.Content.ReadFromJsonAsync<JsonNode>())!.AsObject();
        document.Remove("servers");
        return document;
    }

    [Fact]
    public async Task ATimerInvocation_AndAQueuedPurchase_Run()
    {
        using (var run = await client.PostAsync("/ExpirePoints", new StringContent(Fixtures.Load("Functions/timer.json").ToJsonString(), System.Text.Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.OK, run.StatusCode);
            var result = (await run.Content.ReadFromJsonAsync<JsonNode>())!;
            Assert.NotNull(result["Logs"]);
        }

        var member = A.Id("native");
        await client.EnrollAsync(member);
        var occurredAt = TimeProvider.System.GetUtcNow().AddHours(-1).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        await queue.SendMessageAsync(JsonSerializer.Serialize(new { purchaseId = A.Id("p"), memberId = member, amount = 40m, currency = "USD", occurredAt }));
        await Eventually.TrueAsync(async () => await client.BalanceAsync(member) > 0, "the queued purchase is credited");
    }

    private void Write(string? line)
    {
        if (line is not null)
        {
            lock (output)
            {
                output.WriteLine(line);
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
