import SchemaBuilder, { BasePlugin, type PothosInputFieldConfig, type PothosInputFieldType, type SchemaTypes } from '@pothos/core';
import { describeLimit, type InputLimit, type InputShape, limitFor } from './inputLimits.ts';

const pluginName = 'inputLimits';
export default pluginName;

/** The extension key under which every argument and input field carries its InputLimit. */
export const INPUT_LIMIT = 'hookpostInputLimit';

/**
 * Gives every argument and input field of the schema its limits (inputLimits.ts) as an extension,
 * which the edge reads, and as the last sentence of its description, which clients read.
 */
export class InputLimitsPlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  override onInputFieldConfig(fieldConfig: PothosInputFieldConfig<Types>): PothosInputFieldConfig<Types> {
    const coordinate =
      fieldConfig.kind === 'Arg' ? `${fieldConfig.parentType}.${fieldConfig.parentField}.${fieldConfig.name}` : `${fieldConfig.parentType}.${fieldConfig.name}`;
    const limit: InputLimit = limitFor(coordinate, fieldConfig.name, this.shapeOf(fieldConfig.type));
    const sentence = describeLimit(limit);
    if (!sentence) return fieldConfig;
    return {
      ...fieldConfig,
      description: fieldConfig.description ? `${fieldConfig.description.replace(/\.?$/, '.')} ${sentence}` : sentence,
      extensions: { ...fieldConfig.extensions, [INPUT_LIMIT]: limit },
    };
  }

  private shapeOf(type: PothosInputFieldType<Types>): InputShape {
    if (type.kind === 'List') return { ...this.shapeOf(type.type), isList: true };
    return { typeName: this.buildCache.getTypeConfig(type.ref).name, isList: false };
  }
}

declare global {
  export namespace PothosSchemaTypes {
    interface Plugins<Types extends SchemaTypes> {
      inputLimits: InputLimitsPlugin<Types>;
    }
  }
}

SchemaBuilder.registerPlugin(pluginName, InputLimitsPlugin);
