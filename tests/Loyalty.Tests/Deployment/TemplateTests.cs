using Loyalty.Adapters.Storage;
using Loyalty.Functions.Telemetry;

namespace Loyalty.Tests.Deployment;

/// <summary>The compiled Bicep template agrees with the app: the function.json files, the tables the code uses,
/// the settings it reads, and the security baseline of the issue.</summary>
public sealed class TemplateTests
{
    private static readonly ArmTemplate Template = ArmTemplate.Load();
    private static readonly IReadOnlyList<FunctionDefinition> Functions = FunctionDefinitions.FromSource();

    [Fact]
    public void FunctionApp_IsFlexConsumptionCustomHandlerOnLinux()
    {
        var plan = Template.Resource("Microsoft.Web/serverfarms");
        var site = Template.Resource("Microsoft.Web/sites");
        var config = site["properties"]!["functionAppConfig"]!;

        Assert.Equal("FC1", (string?)plan["sku"]!["name"]);
        Assert.Equal("FlexConsumption", (string?)plan["sku"]!["tier"]);
        Assert.Equal("functionapp,linux", (string?)site["kind"]);
        Assert.Equal("custom", (string?)config["runtime"]!["name"]);
        Assert.Equal("blobContainer", (string?)config["deployment"]!["storage"]!["type"]);
        Assert.Equal("SystemAssignedIdentity", (string?)config["deployment"]!["storage"]!["authentication"]!["type"]);
        Assert.NotNull(config["scaleAndConcurrency"]!["instanceMemoryMB"]);
        Assert.NotNull(config["scaleAndConcurrency"]!["maximumInstanceCount"]);
    }

    [Fact]
    public void FunctionApp_HttpsOnlyTls12NoFtpSystemIdentity()
    {
        var site = Template.Resource("Microsoft.Web/sites");
        var siteConfig = site["properties"]!["siteConfig"]!;

        Assert.True((bool)site["properties"]!["httpsOnly"]!);
        Assert.Equal("1.2", (string?)siteConfig["minTlsVersion"]);
        Assert.Equal("Disabled", (string?)siteConfig["ftpsState"]);
        Assert.Equal("SystemAssigned", (string?)site["identity"]!["type"]);
    }

    [Fact]
    public void StorageAccount_NoPublicBlobsNoSharedKeyTls12()
    {
        var storage = Template.Resource("Microsoft.Storage/storageAccounts");
        var properties = storage["properties"]!;

        Assert.Equal("StorageV2", (string?)storage["kind"]);
        Assert.False((bool)properties["allowBlobPublicAccess"]!);
        Assert.False((bool)properties["allowSharedKeyAccess"]!);
        Assert.Equal("TLS1_2", (string?)properties["minimumTlsVersion"]);
    }

    [Fact]
    public void AppSettings_UseIdentityBasedConnections_AndHoldNoKeys()
    {
        var settings = Template.AppSettings;

        Assert.Contains("AzureWebJobsStorage__accountName", settings.Keys);
        Assert.DoesNotContain(StorageAccount.SettingName, settings.Keys);
        Assert.Contains("ServiceBusConnection__fullyQualifiedNamespace", settings.Keys);
        Assert.StartsWith("[format('@Microsoft.KeyVault(SecretUri=", settings["ACS_CONNECTION_STRING"], StringComparison.Ordinal);
        foreach (var secretMarker in new[] { "AccountKey=", "SharedAccessKey=", "accesskey=", "sig=" })
        {
            Assert.DoesNotContain(secretMarker, Template.Text, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public void AppSettings_CoverWhatTheHandlerReads_AndNothingFlexRejects()
    {
        var settings = Template.AppSettings.Keys.ToHashSet();

        Assert.Contains(TelemetrySetup.ConnectionStringSetting, settings);
        Assert.Contains("ACS_CONNECTION_STRING", settings);
        Assert.Contains("ACS_SMS_FROM", settings);
        Assert.Contains("Outreach__StrangerRetention", settings);
        // Flex Consumption takes these from functionAppConfig (or does without them) and lists them as deprecated app settings.
        Assert.DoesNotContain("FUNCTIONS_WORKER_RUNTIME", settings);
        Assert.DoesNotContain("FUNCTIONS_EXTENSION_VERSION", settings);
        Assert.DoesNotContain("WEBSITE_RUN_FROM_PACKAGE", settings);
        Assert.DoesNotContain("WEBSITE_CONTENTAZUREFILECONNECTIONSTRING", settings);
    }

    [Fact]
    public void StorageQueueTwin_IsDisabledInAzure()
    {
        Assert.Equal("true", Template.AppSettings["AzureWebJobs.RecordPurchaseFromQueue.Disabled"]);
    }

    [Fact]
    public void FunctionDefinitions_AreValid()
    {
        Assert.NotEmpty(Functions);
        Assert.Empty(Functions.SelectMany(FunctionDefinitions.Problems));
    }

    [Fact]
    public void EveryConnectionAFunctionUses_HasAnAppSetting()
    {
        var missing = Functions.SelectMany(FunctionDefinitions.Connections)
            .Where(c => !Template.HasConnection(c.Connection))
            .Select(c => $"{c.Function} uses connection '{c.Connection}'");

        Assert.Empty(missing);
    }

    [Fact]
    public void EverySettingAFunctionReferences_HasAnAppSetting()
    {
        var missing = Functions
            .SelectMany(f => FunctionDefinitions.ReferencedSettings(f).Select(s => (f.Name, Setting: s)))
            .Where(r => !Template.AppSettings.ContainsKey(r.Setting))
            .Select(r => $"{r.Name} references %{r.Setting}%: add it to the app settings in infra/main.bicep");

        Assert.Empty(missing);
    }

    [Fact]
    public void EveryStorageQueueAFunctionUses_AndItsPoisonQueue_AreCreated()
    {
        var queues = Template.VariableList("storageQueues");
        var used = Functions.SelectMany(f => f.Bindings.Where(b => b.Type is "queueTrigger" or "queue").Select(b => (f.Name, b.Type, Queue: b.Property("queueName")!)))
            .Where(u => !u.Queue.Contains('%', StringComparison.Ordinal))
            .ToList();
        var missing = used.Where(u => !queues.Contains(u.Queue))
            .Select(u => $"{u.Name} uses queue '{u.Queue}'")
            .Concat(used.Where(u => u.Type == "queueTrigger" && !queues.Contains(u.Queue + "-poison"))
                .Select(u => $"{u.Name} moves failed messages to '{u.Queue}-poison'"));

        Assert.Empty(missing);
        Assert.Contains("purchases", queues);
        Assert.Contains("purchases-poison", queues);
        AssertCreatedPerItem("Microsoft.Storage/storageAccounts/queueServices/queues", "storageQueues");
    }

    [Fact]
    public void EveryTableTheAppUses_IsCreated()
    {
        var tables = Template.VariableList("storageTables");
        var bound = Functions.SelectMany(f => f.Bindings.Where(b => b.Type == "table").Select(b => b.Property("tableName")!));

        Assert.All(Tables.All.Concat(bound), t => Assert.Contains(t, tables));
        AssertCreatedPerItem("Microsoft.Storage/storageAccounts/tableServices/tables", "storageTables");
    }

    [Fact]
    public void ServiceBusTriggers_ListenOnTheTemplatesQueue()
    {
        var queue = Template.Variable("serviceBusQueueName");
        var sbQueue = Template.Resource("Microsoft.ServiceBus/namespaces/queues");

        Assert.All(
            Functions.Where(f => f.Trigger?.Type == "serviceBusTrigger"),
            f => Assert.Equal(queue, f.Trigger!.Property("queueName")));
        Assert.Equal(5, (int)sbQueue["properties"]!["maxDeliveryCount"]!);
        Assert.True((bool)sbQueue["properties"]!["deadLetteringOnMessageExpiration"]!);
        Assert.Equal("Standard", (string?)Template.Resource("Microsoft.ServiceBus/namespaces")["sku"]!["name"]);
    }

    [Fact]
    public void EventGridTriggers_AreTheFunctionTheSmsEventsGoTo()
    {
        var subscribed = Template.Variable("smsEventsFunctionName");
        var subscription = Template.Resource("Microsoft.EventGrid/systemTopics/eventSubscriptions");

        Assert.All(
            Functions.Where(f => f.Trigger?.Type == "eventGridTrigger"),
            f => Assert.Equal(subscribed, f.Name));
        Assert.Contains("smsEventsFunctionName", (string)subscription["properties"]!["destination"]!["properties"]!["resourceId"]!, StringComparison.Ordinal);
    }

    [Fact]
    public void RoleAssignments_AreTheLeastPrivilegedDataRoles()
    {
        var roles = Template.Root["variables"]!["roles"]!.AsObject().ToDictionary(r => r.Key, r => (string)r.Value!);
        var assigned = Template.ResourcesOfType("Microsoft.Authorization/roleAssignments")
            .Select(r => (string)r["properties"]!["roleDefinitionId"]!)
            .ToList();

        Assert.Equal(
            new Dictionary<string, string>
            {
                ["storageBlobDataOwner"] = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
                ["storageQueueDataContributor"] = "974c5e8b-45b9-4653-ba55-5f855dd0fb88",
                ["storageTableDataContributor"] = "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3",
                ["serviceBusDataReceiver"] = "4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0",
                ["keyVaultSecretsUser"] = "4633458b-17de-408a-b874-0445c86b69e6",
                ["eventGridDataSender"] = "d5a91429-5739-47e2-a06b-3470a27159e7",
            },
            roles);
        Assert.Equal(roles.Count, assigned.Count);
        Assert.All(roles.Keys, role => Assert.Single(assigned, a => a.Contains($"variables('roles').{role}", StringComparison.Ordinal)));
        Assert.All(
            Template.ResourcesOfType("Microsoft.Authorization/roleAssignments"),
            r => Assert.Equal("ServicePrincipal", (string?)r["properties"]!["principalType"]));
    }

    [Fact]
    public void EventsTopic_TakesCloudEvents_WithoutKeys_AndTheAppSendsToItWithItsIdentity()
    {
        var topic = Template.Resource("Microsoft.EventGrid/topics");
        var sender = Template.ResourcesOfType("Microsoft.Authorization/roleAssignments")
            .Single(r => ((string)r["properties"]!["roleDefinitionId"]!).Contains("eventGridDataSender", StringComparison.Ordinal));

        Assert.Equal("CloudEventSchemaV1_0", (string?)topic["properties"]!["inputSchema"]);
        Assert.True((bool)topic["properties"]!["disableLocalAuth"]!);
        Assert.Contains("Microsoft.EventGrid/topics", (string)sender["scope"]!, StringComparison.Ordinal);
        Assert.Contains("Microsoft.EventGrid/topics", Template.AppSettings["Events__TopicEndpoint"], StringComparison.Ordinal);
        Assert.Contains(".endpoint", Template.AppSettings["Events__TopicEndpoint"], StringComparison.Ordinal);
        Assert.DoesNotContain("Events__TopicKey", Template.AppSettings.Keys);
        Assert.DoesNotContain("Events__Queue", Template.AppSettings.Keys);
    }

    [Fact]
    public void KeyVault_UsesRbac_AndHoldsTheAcsConnectionStringAndThePhoneKey()
    {
        var vault = Template.Resource("Microsoft.KeyVault/vaults");
        var secrets = Template.ResourcesOfType("Microsoft.KeyVault/vaults/secrets").Select(s => (string)s["properties"]!["value"]!).ToList();

        Assert.True((bool)vault["properties"]!["enableRbacAuthorization"]!);
        Assert.Equal(2, secrets.Count);
        Assert.Contains(secrets, v => v.Contains("listKeys(", StringComparison.Ordinal) && v.Contains("Microsoft.Communication/communicationServices", StringComparison.Ordinal));
        Assert.Contains("[parameters('phoneHintKey')]", secrets);
        Assert.Equal("securestring", (string)Template.Root["parameters"]!["phoneHintKey"]!["type"]!);
    }

    [Fact]
    public void Outputs_NameAndBaseUrl_NoSecrets()
    {
        var outputs = Template.Root["outputs"]!.AsObject();

        Assert.Contains("functionAppName", outputs.Select(o => o.Key));
        Assert.StartsWith("[format('https://{0}'", (string)outputs["functionAppUrl"]!["value"]!, StringComparison.Ordinal);
        Assert.DoesNotContain(outputs, o => o.Value!.ToJsonString().Contains("listKeys", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void Locations_ComeFromParameters()
    {
        Assert.Equal("[resourceGroup().location]", (string?)Template.Root["parameters"]!["location"]!["defaultValue"]);
        Assert.All(
            Template.Resources.Where(r => r["location"] is not null),
            r => Assert.Contains((string)r["location"]!, new[] { "[parameters('location')]", "global" }));
    }

    private static void AssertCreatedPerItem(string type, string variable)
    {
        var resource = Template.Resource(type);
        Assert.Equal($"[length(variables('{variable}'))]", (string?)resource["copy"]!["count"]);
        Assert.Contains($"variables('{variable}')[copyIndex()]", (string)resource["name"]!, StringComparison.Ordinal);
    }
}
