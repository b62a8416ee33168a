/**
 * The OpenAPI 3.1 validator the tests use (@seriousme/openapi-schema-validator, a
 * devDependency). Until `npm install` has put it into node_modules, a scratch install under
 * /tmp/oasv (`npm i --prefix /tmp/oasv @seriousme/openapi-schema-validator`) is used.
 */
export interface OpenApiValidator {
  validate(spec: object): Promise<{ valid: boolean; errors?: unknown }>;
  version: string;
}

export async function loadOpenApiValidator(): Promise<new () => OpenApiValidator> {
  const name = "@seriousme/openapi-schema-validator";
  const mod = (await import(name).catch(
    () => import("/tmp/oasv/node_modules/@seriousme/openapi-schema-validator/index.js"),
  )) as { Validator: new () => OpenApiValidator };
  return mod.Validator;
}
