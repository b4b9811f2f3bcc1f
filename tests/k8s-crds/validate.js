// Validates custom resources against the schemas their projects publish (compiled from the
// CRDs by kubernetes-models): `node validate.js objects.json` prints, as a JSON array, for each
// object its kind, name and outcome — "valid", "invalid" (with the errors) or "no-schema".
import { readFileSync } from "node:fs";
import { ScaledObject } from "@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject";
import { TriggerAuthentication } from "@kubernetes-models/keda/keda.sh/v1alpha1/TriggerAuthentication";
import { ServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor";

const models = new Map(
  [ScaledObject, TriggerAuthentication, ServiceMonitor].map((m) => [`${m.apiVersion}/${m.kind}`, m]),
);

const objects = JSON.parse(readFileSync(process.argv[2], "utf8"));
const results = objects.map((object) => {
  const found = { kind: object.kind, name: object.metadata?.name ?? "" };
  const Model = models.get(`${object.apiVersion}/${object.kind}`);
  if (!Model) return { ...found, outcome: "no-schema" };
  try {
    new Model(object).validate();
    return { ...found, outcome: "valid" };
  } catch (error) {
    return { ...found, outcome: "invalid", errors: String(error.message) };
  }
});
console.log(JSON.stringify(results));
