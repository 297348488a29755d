import { ArgsType, Field, Int, ObjectType } from '@nestjs/graphql';
import type { Type } from '@nestjs/common';
import type { Page } from '@modelport/database';

@ObjectType({ description: 'Where a page ends and whether another follows.' })
export class PageInfo {
  @Field() hasNextPage!: boolean;
  @Field(() => String, { nullable: true, description: 'Pass as `after` to get the next page.' }) endCursor!: string | null;
}

@ArgsType()
export class PageArgs {
  @Field(() => Int, { nullable: true, description: 'Page size, at most the server maximum (MODELPORT_MAX_PAGE_SIZE).' })
  first?: number | null;
  @Field(() => String, { nullable: true, description: 'An endCursor from a previous page.' })
  after?: string | null;
}

export interface Connection<T> {
  nodes: T[];
  pageInfo: PageInfo;
}

/** A cursor connection type named `<Item>Connection` with `nodes` and `pageInfo`. */
export function ConnectionType<T>(item: Type<T>, name = item.name): Type<Connection<T>> {
  @ObjectType(`${name}Connection`)
  class ConnectionClass implements Connection<T> {
    @Field(() => [item]) nodes!: T[];
    @Field(() => PageInfo) pageInfo!: PageInfo;
  }
  return ConnectionClass;
}

export function toConnection<E, T>(page: Page<E>, map: (entity: E) => T): Connection<T> {
  return { nodes: page.items.map(map), pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor } };
}
