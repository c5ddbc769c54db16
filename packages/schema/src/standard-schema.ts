/**
 * The Standard Schema v1 interface (https://standardschema.dev), which zod 4,
 * valibot and arktype implement. The spec asks libraries to copy it rather than
 * depend on a package, so contracts work with whichever validator a team uses.
 */
export interface StandardSchemaV1<TInput = unknown, TOutput = TInput> {
  readonly '~standard': StandardSchemaV1.Props<TInput, TOutput>
}

export declare namespace StandardSchemaV1 {
  interface Props<TInput = unknown, TOutput = TInput> {
    readonly version: 1
    readonly vendor: string
    readonly validate: (value: unknown) => Result<TOutput> | Promise<Result<TOutput>>
    readonly types?: Types<TInput, TOutput> | undefined
  }
  type Result<TOutput> = SuccessResult<TOutput> | FailureResult
  interface SuccessResult<TOutput> {
    readonly value: TOutput
    readonly issues?: undefined
  }
  interface FailureResult {
    readonly issues: ReadonlyArray<Issue>
  }
  interface Issue {
    readonly message: string
    readonly path?: ReadonlyArray<PropertyKey | PathSegment> | undefined
  }
  interface PathSegment {
    readonly key: PropertyKey
  }
  interface Types<TInput = unknown, TOutput = TInput> {
    readonly input: TInput
    readonly output: TOutput
  }
  type InferInput<TSchema extends StandardSchemaV1> = NonNullable<
    TSchema['~standard']['types']
  >['input']
  type InferOutput<TSchema extends StandardSchemaV1> = NonNullable<
    TSchema['~standard']['types']
  >['output']
}
